import type { MetaFunction } from "@remix-run/node";
import { Table } from "~/components/table";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Cookies – Social media code of conduct" }];

const COOKIES = [
  {
    name: "session",
    purpose: "Keeps you signed in",
    expires: "After 30 minutes without activity, 12 hours at most, or when you sign out",
  },
  {
    name: "csrf",
    purpose: "Proves that forms you send came from this service",
    expires: "When you close your browser",
  },
  {
    name: "device",
    purpose:
      "Remembers that you have signed in on this browser, so that someone else’s wrong guesses at your password do not stop you signing in here",
    expires: "180 days",
  },
];

export default function Cookies() {
  return (
    <TwoThirds>
      <h1 className="govuk-heading-l">Cookies</h1>
      <p className="govuk-body">
        This service puts two small files (cookies) on your device. Both are essential, so we do not ask for your
        consent.
      </p>
      <Table
        caption="Cookies this service sets"
        captionClass="govuk-visually-hidden"
        columns={[
          { header: "Name", cell: (c: (typeof COOKIES)[number]) => c.name },
          { header: "Purpose", cell: (c) => c.purpose },
          { header: "Expires", cell: (c) => c.expires },
        ]}
        rows={COOKIES}
        rowKey={(c) => c.name}
      />
      <p className="govuk-body">We do not use analytics or advertising cookies.</p>
    </TwoThirds>
  );
}
