import { useLocation } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import { useCsrfToken } from "./csrf-input";

const WARN_BEFORE_MS = 5 * 60_000;

/**
 * The GOV.UK timeout warning (WCAG 2.2.1 Timing Adjustable): before an idle session ends, a modal
 * dialog lets the person stay signed in, so nobody loses a half-read policy or a half-taken module.
 */
export function TimeoutWarning({ idleMs }: { idleMs: number }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const csrf = useCsrfToken();
  const location = useLocation();
  const [deadline, setDeadline] = useState(() => Date.now() + idleMs);
  const [minutesLeft, setMinutesLeft] = useState(Math.ceil(WARN_BEFORE_MS / 60_000));

  // Every navigation reaches the server, which counts it as activity.
  useEffect(() => setDeadline(Date.now() + idleMs), [location.key, idleMs]);

  useEffect(() => {
    const tick = () => {
      const left = deadline - Date.now();
      if (left <= 0) {
        window.location.assign("/sign-in?timedOut=1");
        return;
      }
      if (left <= WARN_BEFORE_MS) {
        setMinutesLeft(Math.max(1, Math.ceil(left / 60_000)));
        if (dialog.current && !dialog.current.open) dialog.current.showModal();
      }
    };
    const timer = window.setInterval(tick, 1_000);
    return () => window.clearInterval(timer);
  }, [deadline]);

  const staySignedIn = useCallback(async () => {
    const body = new URLSearchParams({ csrf });
    const response = await fetch("/session/keep-alive", {
      method: "POST",
      body,
      credentials: "same-origin",
      redirect: "manual",
    });
    if (response.ok) {
      dialog.current?.close();
      setDeadline(Date.now() + idleMs);
    } else {
      window.location.assign("/sign-in?timedOut=1");
    }
  }, [csrf, idleMs]);

  return (
    <dialog
      ref={dialog}
      className="app-timeout-dialog"
      aria-labelledby="timeout-heading"
      aria-describedby="timeout-message"
    >
      <h2 className="govuk-heading-m" id="timeout-heading">
        You’re about to be signed out
      </h2>
      <p className="govuk-body" id="timeout-message" aria-live="polite">
        For your security, we will sign you out in {minutesLeft} {minutesLeft === 1 ? "minute" : "minutes"} unless you
        choose to stay signed in.
      </p>
      <div className="govuk-button-group">
        <button type="button" className="govuk-button" onClick={() => void staySignedIn()}>
          Stay signed in
        </button>
        <form method="post" action="/sign-out">
          <input type="hidden" name="csrf" value={csrf} />
          <button type="submit" className="govuk-button govuk-button--secondary">
            Sign out
          </button>
        </form>
      </div>
    </dialog>
  );
}
