import {
  json,
  type LinksFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
  type SerializeFrom,
} from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  Links,
  Meta,
  Link,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useLocation,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { useEffect, useRef, type ReactNode } from "react";
import { getLayoutSession } from "~/auth/access.server";
import { ASSISTED_IDLE_MS, assistedSessionDetails } from "~/auth/assisted.server";
import { CsrfInput } from "~/components/csrf-input";
import { NotificationBanner } from "~/components/notification-banner";
import { useNonce } from "~/components/nonce";
import { TimeoutWarning } from "~/components/timeout-warning";
import { publicConfig } from "~/config.server";
import { assistedNavigation, currentItem, navigationFor } from "~/navigation";
import { activeNotice } from "~/tracking/nudges.server";
import { nextTask } from "~/tracking/tasks.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: "/css/app.css" },
  { rel: "icon", href: "/assets/images/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await getLayoutSession(request, context);
  const user = session?.user ?? null;
  const assisted = session ? await assistedSessionDetails(context.db, session) : null;
  // A nudge's notice links to pages an assisted session may not reach, and is the person's to dismiss, not the witness's.
  const notice = user && !assisted ? await activeNotice(context.db, user.id, context.now()) : null;
  // Only with a notice showing: where its link takes the person, their first task still to do.
  const next = user && notice ? await nextTask(context.db, user, context.now()) : null;
  return json({
    notice: notice ? { ...notice, next } : null,
    csrfToken: context.csrfToken,
    config: publicConfig(context.config),
    idleMs: assisted ? Math.min(context.config.sessionIdleMs, ASSISTED_IDLE_MS) : context.config.sessionIdleMs,
    assisted: assisted ? { witnessName: assisted.witnessName, signed: assisted.reference !== null } : null,
    user: user
      ? {
          name: user.name,
          role: user.role,
          organisationName: user.organisationName,
          isChampion: user.championTeamIds.length > 0,
        }
      : null,
  });
}
export type RootLoaderData = SerializeFrom<typeof loader>;

/** A champion's nudge, on every page until the person acts on it or dismisses it (GOV.UK notification banner). */
function NudgeNotice({
  notice,
  pathname,
  returnTo,
}: {
  notice: NonNullable<RootLoaderData["notice"]>;
  pathname: string;
  returnTo: string;
}) {
  return (
    <NotificationBanner
      id="nudge-notice"
      heading={`${notice.senderName ?? "Your social media champion"}${notice.teamName ? `, social media champion for ${notice.teamName},` : ""} has asked you to complete your social media code of conduct training.`}
    >
      {notice.message ? <p className="govuk-body">“{notice.message}”</p> : null}
      {notice.next && notice.next.href !== pathname ? (
        <p className="govuk-body">
          <Link className="govuk-notification-banner__link" to={notice.next.href}>
            {notice.next.title}
          </Link>
        </p>
      ) : null}
      <Form method="post" action={`/notices/${notice.id}/dismiss`}>
        <CsrfInput />
        <input type="hidden" name="returnTo" value={returnTo} />
        <button
          type="submit"
          className="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
          data-module="govuk-button"
        >
          Dismiss this notice
        </button>
      </Form>
    </NotificationBanner>
  );
}

function Document({ children, title }: { children: ReactNode; title?: string }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<RootLoaderData>("root");
  const location = useLocation();
  const initialised = useRef(false);
  useEffect(() => {
    // GOV.UK Frontend's own behaviours: the whole page once (skip link, navigation toggle), then the new
    // main content after each page change, so no component is initialised twice.
    void import("govuk-frontend").then(({ initAll }) => {
      if (!initialised.current) {
        initialised.current = true;
        initAll();
      } else {
        initAll({ scope: document.getElementById("main-content") ?? undefined });
      }
    });
  }, [location.key]);
  const user = data?.user ?? null;
  const assisted = data?.assisted ?? null;
  const nav = user ? (assisted ? assistedNavigation(assisted) : navigationFor(user)) : [];
  const current = currentItem(nav, location.pathname);
  return (
    <html lang="en-GB" className="govuk-template">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
        <meta name="theme-color" content="#1d70b8" />
        {data?.csrfToken ? <meta name="csrf-token" content={data.csrfToken} /> : null}
        {title ? <title>{title}</title> : null}
        <Meta />
        <Links />
      </head>
      <body className="govuk-template__body">
        <script
          nonce={nonce}
          // Adds the classes GOV.UK Frontend's styles expect before first paint; a nonce lets it past the CSP.
          dangerouslySetInnerHTML={{
            __html:
              "document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');",
          }}
        />
        <a href="#main-content" className="govuk-skip-link" data-module="govuk-skip-link">
          Skip to main content
        </a>
        <header className="govuk-service-navigation" data-module="govuk-service-navigation">
          <div className="govuk-width-container">
            <div className="govuk-service-navigation__container">
              <span className="govuk-service-navigation__service-name">
                <a href="/" className="govuk-service-navigation__link">
                  Social media code of conduct
                </a>
              </span>
              {nav.length > 0 ? (
                <nav aria-label="Menu" className="govuk-service-navigation__wrapper">
                  <button
                    type="button"
                    className="govuk-service-navigation__toggle govuk-js-service-navigation-toggle"
                    aria-controls="navigation"
                    hidden
                  >
                    Menu
                  </button>
                  <ul className="govuk-service-navigation__list" id="navigation">
                    {nav.map((item) => {
                      const isCurrent = current?.href === item.href;
                      return (
                        <li
                          key={item.href}
                          className={`govuk-service-navigation__item${isCurrent ? " govuk-service-navigation__item--active" : ""}`}
                        >
                          <Link
                            className="govuk-service-navigation__link"
                            to={item.href}
                            aria-current={isCurrent ? current.current : undefined}
                          >
                            {isCurrent ? (
                              <strong className="govuk-service-navigation__active-fallback">{item.label}</strong>
                            ) : (
                              item.label
                            )}
                          </Link>
                        </li>
                      );
                    })}
                  </ul>
                </nav>
              ) : null}
            </div>
          </div>
        </header>
        <div className="govuk-width-container">
          <div className="govuk-phase-banner">
            <p className="govuk-phase-banner__content">
              <strong className="govuk-tag govuk-phase-banner__content__tag">Beta</strong>
              <span className="govuk-phase-banner__text">
                This is a new service. Your team’s social media champion can pass on your feedback.
              </span>
            </p>
          </div>
          {user && assisted ? (
            <div className="app-account-bar">
              <span>
                Assisted session for <strong>{user.name}</strong>, witnessed by <strong>{assisted.witnessName}</strong>
              </span>
              <Form method="post" action="/assisted" className="app-account-bar__form">
                <CsrfInput />
                <button type="submit" className="app-link-button">
                  Finish
                </button>
              </Form>
            </div>
          ) : user ? (
            <div className="app-account-bar">
              <span>
                Signed in as <strong>{user.name}</strong>, {user.organisationName}
              </span>
              <Form method="post" action="/sign-out" className="app-account-bar__form">
                <CsrfInput />
                <button type="submit" className="app-link-button">
                  Sign out
                </button>
              </Form>
            </div>
          ) : null}
          <main className="govuk-main-wrapper" id="main-content">
            {data?.notice && location.pathname !== "/signed-out" ? (
              <NudgeNotice
                notice={data.notice}
                pathname={location.pathname}
                returnTo={location.pathname + location.search}
              />
            ) : null}
            {children}
          </main>
        </div>
        <footer className="govuk-footer">
          <div className="govuk-width-container">
            <div className="govuk-footer__meta">
              <div className="govuk-footer__meta-item govuk-footer__meta-item--grow">
                <h2 className="govuk-visually-hidden">Support links</h2>
                <ul className="govuk-footer__inline-list">
                  <li className="govuk-footer__inline-list-item">
                    <a className="govuk-footer__link" href="/accessibility">
                      Accessibility statement
                    </a>
                  </li>
                  <li className="govuk-footer__inline-list-item">
                    <a className="govuk-footer__link" href="/cookies">
                      Cookies
                    </a>
                  </li>
                </ul>
              </div>
            </div>
          </div>
        </footer>
        {user && data ? <TimeoutWarning idleMs={data.idleMs} /> : null}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  useLoaderData<typeof loader>();
  return (
    <Document>
      <Outlet />
    </Document>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && (error.status === 404 || error.status === 405)) {
    return (
      <Document title="Page not found – Social media code of conduct">
        <div className="govuk-grid-row">
          <div className="govuk-grid-column-two-thirds">
            <h1 className="govuk-heading-l">Page not found</h1>
            <p className="govuk-body">If you typed the web address, check it is correct.</p>
            <p className="govuk-body">If you pasted the web address, check you copied the entire address.</p>
            <p className="govuk-body">
              <a className="govuk-link" href="/">
                Go to your home page
              </a>
            </p>
          </div>
        </div>
      </Document>
    );
  }
  return (
    <Document title="Sorry, there is a problem with the service – Social media code of conduct">
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <h1 className="govuk-heading-l">Sorry, there is a problem with the service</h1>
          <p className="govuk-body">Try again later.</p>
          <p className="govuk-body">Anything you had already saved has not been lost.</p>
        </div>
      </div>
    </Document>
  );
}
