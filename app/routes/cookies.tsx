import type { MetaFunction } from "@remix-run/node";

export const meta: MetaFunction = () => [{ title: "Cookies – Social media code of conduct" }];

export default function Cookies() {
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <h1 className="govuk-heading-l">Cookies</h1>
        <p className="govuk-body">
          This service puts two small files (cookies) on your device. Both are essential, so we do not ask for your
          consent.
        </p>
        <table className="govuk-table">
          <thead className="govuk-table__head">
            <tr className="govuk-table__row">
              <th scope="col" className="govuk-table__header">
                Name
              </th>
              <th scope="col" className="govuk-table__header">
                Purpose
              </th>
              <th scope="col" className="govuk-table__header">
                Expires
              </th>
            </tr>
          </thead>
          <tbody className="govuk-table__body">
            <tr className="govuk-table__row">
              <td className="govuk-table__cell">session</td>
              <td className="govuk-table__cell">Keeps you signed in</td>
              <td className="govuk-table__cell">
                After 30 minutes without activity, 12 hours at most, or when you sign out
              </td>
            </tr>
            <tr className="govuk-table__row">
              <td className="govuk-table__cell">csrf</td>
              <td className="govuk-table__cell">Proves that forms you send came from this service</td>
              <td className="govuk-table__cell">When you close your browser</td>
            </tr>
          </tbody>
        </table>
        <p className="govuk-body">We do not use analytics or advertising cookies.</p>
      </div>
    </div>
  );
}
