import type { MetaFunction } from "@remix-run/node";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Accessibility statement – Social media code of conduct" }];

export default function Accessibility() {
  return (
    <TwoThirds>
      <h1 className="govuk-heading-l">Accessibility statement for the social media code of conduct service</h1>
      <p className="govuk-body">
        This statement applies to the social media code of conduct training and attestation service used by council
        staff. The council that gives you access to this service is responsible for it.
      </p>
      <p className="govuk-body">
        We want as many people as possible to be able to use this service. For example, that means you should be able
        to:
      </p>
      <ul className="govuk-list govuk-list--bullet">
        <li>change colours, contrast levels and fonts using browser or device settings</li>
        <li>zoom in up to 400% without the text spilling off the screen</li>
        <li>navigate the whole service using just a keyboard or speech recognition software</li>
        <li>listen to the whole service using a screen reader</li>
        <li>use every form with JavaScript turned off</li>
        <li>choose to stay signed in when a warning tells you your session is about to end</li>
      </ul>
      <h2 className="govuk-heading-m">Compliance status</h2>
      <p className="govuk-body">
        This service is designed to meet the Web Content Accessibility Guidelines (WCAG) version 2.2 AA standard, as the
        Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 require. Every
        page is checked automatically for WCAG 2.2 A and AA failures each time the service changes.
      </p>
      <h2 className="govuk-heading-m">Feedback and contact information</h2>
      <p className="govuk-body">
        If you find a problem or need information in a different format, tell your team’s social media champion or your
        council’s HR team, who will pass it to the service’s administrators.
      </p>
      <h2 className="govuk-heading-m">Enforcement procedure</h2>
      <p className="govuk-body">
        The Equality and Human Rights Commission (EHRC) is responsible for enforcing the accessibility regulations. If
        you’re not happy with how we respond to your complaint, contact the Equality Advisory and Support Service
        (EASS).
      </p>
      <h2 className="govuk-heading-m">Preparation of this accessibility statement</h2>
      <p className="govuk-body">
        This statement was prepared on 24 November 2026. It will be reviewed whenever the service changes significantly.
      </p>
    </TwoThirds>
  );
}
