import { Link } from "@remix-run/react";

/**
 * GOV.UK pagination: previous and next links and the page numbers around the current one. `hrefFor`
 * builds each page's address, so the filters in the query string are kept.
 */
export function Pagination({ page, pageCount, hrefFor, label = "Pages" }: { page: number; pageCount: number; hrefFor: (page: number) => string; label?: string }) {
  if (pageCount <= 1) return null;
  const shown = [...new Set([1, page - 1, page, page + 1, pageCount])].filter((p) => p >= 1 && p <= pageCount).sort((a, b) => a - b);
  return (
    <nav className="govuk-pagination" aria-label={label}>
      {page > 1 ? (
        <div className="govuk-pagination__prev">
          <Link className="govuk-link govuk-pagination__link" to={hrefFor(page - 1)} rel="prev">
            <span className="govuk-pagination__link-title">
              Previous<span className="govuk-visually-hidden"> page</span>
            </span>
          </Link>
        </div>
      ) : null}
      <ul className="govuk-pagination__list">
        {shown.map((p, i) => (
          <li key={p} className={`govuk-pagination__item${p === page ? " govuk-pagination__item--current" : ""}`}>
            {i > 0 && p - shown[i - 1] > 1 ? <span className="govuk-pagination__item govuk-pagination__item--ellipses">&ctdot;</span> : null}
            <Link className="govuk-link govuk-pagination__link" to={hrefFor(p)} aria-label={`Page ${p}`} aria-current={p === page ? "page" : undefined}>
              {p}
            </Link>
          </li>
        ))}
      </ul>
      {page < pageCount ? (
        <div className="govuk-pagination__next">
          <Link className="govuk-link govuk-pagination__link" to={hrefFor(page + 1)} rel="next">
            <span className="govuk-pagination__link-title">
              Next<span className="govuk-visually-hidden"> page</span>
            </span>
          </Link>
        </div>
      ) : null}
    </nav>
  );
}
