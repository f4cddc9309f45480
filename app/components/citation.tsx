export type Citation = { document: string; section: string | null; heading: string };

export function formatCitation(citation: Citation): string {
  return `${citation.document}, ${citation.section ? `section ${citation.section}, ` : ""}“${citation.heading}”`;
}

export function CitationLine({ citation }: { citation: Citation | null }) {
  if (!citation) return null;
  return <p className="govuk-body-s app-citation">Source: {formatCitation(citation)}</p>;
}
