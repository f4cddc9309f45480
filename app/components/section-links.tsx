import { Link } from "@remix-run/react";

export type SectionLink = { href: string; title: string; description: string };

/** A start page's list of sections: each a heading that links to it, and a sentence on what it is for. */
export function SectionLinks({ sections }: { sections: readonly SectionLink[] }) {
  return (
    <ul className="govuk-list">
      {sections.map((section) => (
        <li key={section.href} className="govuk-!-margin-bottom-6">
          <h2 className="govuk-heading-m govuk-!-margin-bottom-2">
            <Link className="govuk-link" to={section.href}>
              {section.title}
            </Link>
          </h2>
          <p className="govuk-body">{section.description}</p>
        </li>
      ))}
    </ul>
  );
}
