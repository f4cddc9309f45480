import type { ReactNode } from "react";

/**
 * The GOV.UK notification banner: "Important" news (a region) or the outcome of what someone just did
 * ("Success", announced as an alert). `heading` is its main line; `children` anything under it.
 */
export function NotificationBanner({
  id,
  heading,
  success = false,
  title = success ? "Success" : "Important",
  role = success ? "alert" : "region",
  children,
}: {
  id: string;
  heading: ReactNode;
  success?: boolean;
  title?: string;
  role?: "alert" | "region" | "status";
  children?: ReactNode;
}) {
  return (
    <div
      className={`govuk-notification-banner${success ? " govuk-notification-banner--success" : ""}`}
      role={role}
      aria-labelledby={`${id}-title`}
      data-module="govuk-notification-banner"
    >
      <div className="govuk-notification-banner__header">
        <h2 className="govuk-notification-banner__title" id={`${id}-title`}>
          {title}
        </h2>
      </div>
      <div className="govuk-notification-banner__content">
        <p className="govuk-notification-banner__heading">{heading}</p>
        {children}
      </div>
    </div>
  );
}
