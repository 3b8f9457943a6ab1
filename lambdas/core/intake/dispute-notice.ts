import { escapeHtml, REPORT_NAME } from '#core/subscriptions/messages';
import type { DisputeItem } from './model';

/**
 * The editors' email when a dispute is opened (contract §2 "Disputes reach people"): which row,
 * who disputes it and why, and where to read the record. Built by hand like the confirmation
 * email (no template engine in the intake function's bundle); every value is escaped.
 */
export function disputeOpenedEmail(dispute: DisputeItem): { subject: string; html: string; text: string } {
  // Paths of the intake API (its function cannot know its own URL: that would be a cycle in the
  // deployment, the stage depending on the function that names it).
  const record = { href: `/outcomes?ref=${encodeURIComponent(dispute.ref)}` };
  const list = { href: '/disputes' };
  const subject = `Dispute opened about row ${dispute.ref} (${REPORT_NAME})`;
  const lines: [string, string][] = [
    ['Row', dispute.ref],
    ['Jurisdictions the record names', dispute.jurisdictionIds.join(', ')],
    ['Opened by', `${dispute.openedBy.name} (client ${dispute.openedBy.id})`],
    ['Opened at', dispute.openedAt],
    ['Dispute', dispute.id],
  ];
  const text = [
    subject,
    '',
    ...lines.map(([label, value]) => `${label}: ${value}`),
    '',
    'Their reason:',
    dispute.reason,
    '',
    `The record and its history: GET ${record.href} (an editor, intake or admin token).`,
    `Every open dispute: GET ${list.href}; resolve it with POST /disputes/${dispute.id}/resolution.`,
    'Until it is resolved, the row is flagged in the next drafts (the open-dispute check).',
    '',
    '--',
    "You receive this because you are one of the report's editors (EDITOR_EMAILS).",
  ].join('\n');
  const html = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:16px;font-family:Georgia,serif;font-size:17px;line-height:1.5;color:#1b1b1b;background:#fff">',
    '<div style="max-width:640px;margin:0 auto">',
    `<h1 style="font-size:22px;line-height:1.3;margin:0 0 12px">${escapeHtml(subject)}</h1>`,
    '<dl style="margin:0 0 12px">',
    ...lines.map(
      ([label, value]) =>
        `<dt style="font-weight:bold">${escapeHtml(label)}</dt><dd style="margin:0 0 6px">${escapeHtml(value)}</dd>`,
    ),
    '</dl>',
    '<p style="margin:0 0 4px;font-weight:bold">Their reason</p>',
    `<blockquote style="margin:0 0 12px;padding-left:12px;border-left:3px solid #14386b;white-space:pre-wrap">${escapeHtml(dispute.reason)}</blockquote>`,
    `<p>The record and its history: <code>GET ${escapeHtml(record.href)}</code> (an editor, intake or admin token). Every open dispute: <code>GET ${escapeHtml(list.href)}</code>.</p>`,
    '<p>Until it is resolved, the row is flagged in the next drafts (the open-dispute check).</p>',
    `<p style="font-size:14px;font-family:Arial,sans-serif">You receive this because you are one of the report's editors (EDITOR_EMAILS).</p>`,
    '</div></body></html>',
  ].join('\n');
  return { subject, html, text };
}
