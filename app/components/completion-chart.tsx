type Bar = { label: string; complete: number; total: number };

/**
 * Horizontal bars of the share complete for each requirement, as an SVG image whose title and
 * description say the same figures in words. The table beside it carries every figure too, so nothing
 * rests on the picture or on its colours.
 */
export function CompletionChart({ id, title, bars }: { id: string; title: string; bars: Bar[] }) {
  const rowHeight = 36;
  const labelWidth = 260;
  const barWidth = 360;
  const height = bars.length * rowHeight + 8;
  const percent = (b: Bar) => (b.total === 0 ? 0 : Math.round((b.complete / b.total) * 100));
  const description = bars.map((b) => `${b.label}: ${b.complete} of ${b.total} complete (${percent(b)}%)`).join(". ");
  return (
    <svg
      className="app-chart"
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      viewBox={`0 0 ${labelWidth + barWidth + 70} ${height}`}
      width="100%"
      preserveAspectRatio="xMinYMin meet"
    >
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{description}</desc>
      {bars.map((b, i) => {
        const y = i * rowHeight + 4;
        const width = Math.round((percent(b) / 100) * barWidth);
        return (
          <g key={b.label} aria-hidden="true">
            <text x={0} y={y + 21} className="app-chart__label">
              {b.label.length > 38 ? `${b.label.slice(0, 36)}…` : b.label}
            </text>
            <rect x={labelWidth} y={y + 4} width={barWidth} height={24} className="app-chart__track" />
            <rect x={labelWidth} y={y + 4} width={width} height={24} className="app-chart__bar" />
            <text x={labelWidth + barWidth + 8} y={y + 21} className="app-chart__value">
              {percent(b)}%
            </text>
          </g>
        );
      })}
    </svg>
  );
}
