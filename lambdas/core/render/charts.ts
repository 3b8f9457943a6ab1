/**
 * The page's two charts as inline SVG strings, with the bar maths done by hand (a linear scale
 * from zero is all they need, so no d3 in the bundle). Every piece of text is escaped here, which
 * is what lets the templates insert the result unescaped. No `style` attributes: the site's CSP
 * forbids inline styles, so colours are presentation attributes that site.css overrides (dark mode).
 */
import type { SectionIRow, TrendPoint } from '#core/edition/model';
import { formatDate, formatDayMonth, formatNumber } from './format';

const formatShortDate = (date: string) => formatDate(date, true);

const WIDTH = 640;
const ISSUED_FILL = '#1a4480';
const DECLINED_FILL = '#b04a00';
const MUTED_FILL = '#71767a';

/** Escapes text for SVG/HTML content and double- or single-quoted attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function n(value: number): string {
  // One decimal is finer than a pixel and keeps the output short and stable.
  return String(Math.round(value * 10) / 10);
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The chart's accessible name and description, referenced by `aria-labelledby`. */
function svgOpen(id: string, height: number, title: string, desc: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}" viewBox="0 0 ${WIDTH} ${n(height)}" ` +
    `width="${WIDTH}" height="${n(height)}" role="img" aria-labelledby="${id}-t ${id}-d" ` +
    `font-size="13" fill="currentColor">` +
    `<title id="${id}-t">${escapeXml(title)}</title><desc id="${id}-d">${escapeXml(desc)}</desc>`
  );
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs}>${escapeXml(content)}</text>`;
}

function rect(x: number, y: number, width: number, height: number, cls: string, fill: string): string {
  return `<rect class="${cls}" x="${n(x)}" y="${n(y)}" width="${n(width)}" height="${n(height)}" fill="${fill}"/>`;
}

export interface ChartText {
  /** The chart's `<title>`: its one message. */
  title: string;
}

/**
 * Section I as horizontal bars: for each jurisdiction, detainers issued with declines recorded
 * just below, labelled directly (the first row says which bar is which; no legend).
 */
export function sectionIChart(rows: readonly SectionIRow[], chart: ChartText): string {
  const labelWidth = 232;
  const barStart = labelWidth + 8;
  const barSpace = WIDTH - barStart - 92;
  const rowHeight = 36;
  const top = 4;
  const max = Math.max(1, ...rows.map((row) => Math.max(row.issued, row.declined)));
  const scale = (value: number): number => (value / max) * barSpace;

  const desc = rows
    .map(
      (row) =>
        `${row.rank}. ${row.jurisdiction.name} (${row.jurisdiction.state}): ` +
        `${formatNumber(row.issued)} issued, ${formatNumber(row.declined)} declined`,
    )
    .join('; ');
  const parts = [svgOpen('chart-section-i', top + rows.length * rowHeight + 4, chart.title, `${desc}.`)];
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const label = `${row.jurisdiction.name} (${row.jurisdiction.state})`;
    const issuedWidth = scale(row.issued);
    const declinedWidth = scale(row.declined);
    const suffix = i === 0;
    const shown = truncate(label, 32);
    parts.push(
      // The full name as a tooltip only where the label had to be cut.
      shown === label ? '<g>' : `<g><title>${escapeXml(label)}</title>`,
      text(labelWidth, y + 19, shown, ' text-anchor="end"'),
      rect(barStart, y + 4, issuedWidth, 13, 'bar-issued', ISSUED_FILL),
      text(barStart + issuedWidth + 4, y + 15, `${formatNumber(row.issued)}${suffix ? ' issued' : ''}`),
      rect(barStart, y + 19, declinedWidth, 13, 'bar-declined', DECLINED_FILL),
      text(barStart + declinedWidth + 4, y + 30, `${formatNumber(row.declined)}${suffix ? ' declined' : ''}`),
      '</g>',
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * The 12-week trend as two column panels sharing one time axis: issued and declined differ by
 * an order of magnitude, so each gets its own scale rather than one flattened line. Every
 * column carries its value; this week's columns are drawn darker.
 */
export function trendChart(points: readonly TrendPoint[], chart: ChartText): string {
  const margin = 8;
  const slot = (WIDTH - 2 * margin) / Math.max(1, points.length);
  const barWidth = Math.min(36, slot * 0.62);
  const panelHeight = 128;
  const plotTop = 40;
  const plotHeight = 72;
  const height = 2 * panelHeight + 24;

  // Past columns share one group (class and fill), and every small label another (anchor and
  // size): said once, not on each of the 24 columns and 36 labels.
  const labelGroup = '<g text-anchor="middle" font-size="12">';
  const panel = (offset: number, heading: string, values: number[], cls: string, fill: string): string[] => {
    const max = Math.max(1, ...values);
    const base = offset + plotTop + plotHeight;
    const column = (value: number, i: number) => {
      const barHeight = (value / max) * plotHeight;
      return { x: margin + i * slot + (slot - barWidth) / 2, top: base - barHeight, barHeight };
    };
    const columns = values.map(column);
    const past = columns.slice(0, -1);
    const current = columns.at(-1);
    const bar = (c: { x: number; top: number; barHeight: number }) =>
      `<rect x="${n(c.x)}" y="${n(c.top)}" width="${n(barWidth)}" height="${n(c.barHeight)}"/>`;
    const out = [text(margin, offset + 16, heading, ' font-weight="bold" font-size="14"')];
    if (past.length > 0) out.push(`<g class="${cls} past" fill="${MUTED_FILL}">`, ...past.map(bar), '</g>');
    if (current) out.push(rect(current.x, current.top, barWidth, current.barHeight, cls, fill));
    out.push(
      labelGroup,
      ...columns.map((c, i) => text(c.x + barWidth / 2, c.top - 4, formatNumber(values[i] ?? 0))),
      '</g>',
    );
    out.push(
      `<line class="axis" x1="${margin}" x2="${WIDTH - margin}" y1="${base}" ` +
        `y2="${base}" stroke="currentColor" stroke-width="1"/>`,
    );
    return out;
  };

  const first = points[0];
  const last = points[points.length - 1];
  const span =
    first && last
      ? `Weekly, from the week of ${formatDayMonth(first.week)} to the week of ${formatDayMonth(last.week)}`
      : '';
  const desc =
    `${span}. Detainers issued: ${points.map((p) => formatNumber(p.issued)).join(', ')}. ` +
    `Declines recorded: ${points.map((p) => formatNumber(p.declined)).join(', ')}.`;
  const parts = [
    svgOpen('chart-trend', height, chart.title, desc),
    ...panel(
      0,
      'Detainers issued',
      points.map((p) => p.issued),
      'bar-issued',
      ISSUED_FILL,
    ),
    ...panel(
      panelHeight,
      'Declines recorded',
      points.map((p) => p.declined),
      'bar-declined',
      DECLINED_FILL,
    ),
  ];
  parts.push(
    labelGroup,
    ...points.map((point, i) => text(margin + i * slot + slot / 2, height - 6, formatDayMonth(point.week))),
    '</g>',
  );
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A jurisdiction's declines recorded, week by week (its page): one column per published week
 * that named it, the last `max` of them, each with its value. Issued is not drawn: editions show
 * it only for Section I's ten, so most weeks have none to draw.
 */
export function weeklyDeclinesChart(
  points: readonly { week: string; declined: number }[],
  chart: ChartText & { id: string },
  max = 52,
): string {
  const shown = points.slice(-max);
  const margin = 8;
  const slot = (WIDTH - 2 * margin) / Math.max(1, shown.length);
  const barWidth = Math.min(36, slot * 0.7);
  const plotTop = 24;
  const plotHeight = 96;
  const base = plotTop + plotHeight;
  const height = base + 22;
  const top = Math.max(1, ...shown.map((p) => p.declined));
  const first = shown[0];
  const last = shown.at(-1);
  const desc =
    first && last
      ? `Declines recorded in each published week that named it, from the week of ${formatShortDate(first.week)} ` +
        `to the week of ${formatShortDate(last.week)}: ${shown.map((p) => formatNumber(p.declined)).join(', ')}.`
      : 'No published week names it.';
  const parts = [
    svgOpen(chart.id, height, chart.title, desc),
    `<g class="bar-declined" fill="${DECLINED_FILL}">`,
  ];
  for (const [i, point] of shown.entries()) {
    const barHeight = (point.declined / top) * plotHeight;
    parts.push(
      `<rect x="${n(margin + i * slot + (slot - barWidth) / 2)}" y="${n(base - barHeight)}" width="${n(barWidth)}" height="${n(barHeight)}"/>`,
    );
  }
  parts.push('</g>');
  // Values only where a column is wide enough to carry one; the table below has them all.
  if (slot >= 24) {
    parts.push('<g text-anchor="middle" font-size="12">');
    for (const [i, point] of shown.entries()) {
      const barHeight = (point.declined / top) * plotHeight;
      parts.push(text(margin + i * slot + slot / 2, base - barHeight - 4, formatNumber(point.declined)));
    }
    parts.push('</g>');
  }
  parts.push(
    `<line class="axis" x1="${margin}" x2="${WIDTH - margin}" y1="${base}" y2="${base}" stroke="currentColor" stroke-width="1"/>`,
  );
  if (first && last) {
    parts.push(text(margin, height - 6, formatShortDate(first.week)));
    if (shown.length > 1)
      parts.push(text(WIDTH - margin, height - 6, formatShortDate(last.week), ' text-anchor="end"'));
  }
  parts.push('</svg>');
  return parts.join('');
}
