import { formatDate, formatNumber, Locale, messages } from './survey-i18n';
import { scoresOf, SurveyType } from './survey-types';

/** Mail and page rendering; pure (no I/O) so it is cheap and unit-testable. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface MailInput {
  locale: Locale;
  type: SurveyType;
  reminder: boolean;
  customerName: string | null;
  ticketNumber: string;
  ticketSubject: string;
  agentName: string | null;
  solvedAt: Date;
  expiresAt: Date;
  /** `<publicUrl>/s/<token>` */
  pageUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export function scoreLinks(pageUrl: string, type: SurveyType): { score: number; url: string }[] {
  return scoresOf(type).map((score) => ({ score, url: `${pageUrl}?score=${score}` }));
}

export function renderMail(i: MailInput): RenderedMail {
  const m = messages(i.locale);
  const subjectLine = i.ticketSubject.replace(/[\r\n]+/g, ' ').slice(0, 200);
  const subject = i.reminder ? m.reminderSubject(subjectLine) : m.subject(subjectLine);
  const intro = m.intro({ number: formatNumber(i.locale, i.ticketNumber, false), subject: subjectLine, agent: i.agentName, date: formatDate(i.locale, i.solvedAt) });
  const links = scoreLinks(i.pageUrl, i.type);
  const [low, high] = m.scaleEnds[i.type];
  const expires = m.expires(formatDate(i.locale, i.expiresAt));
  const text = [
    m.greeting(i.customerName),
    '',
    intro,
    ...(i.reminder ? ['', m.reminderHint] : []),
    '',
    m.question[i.type],
    `(${formatNumber(i.locale, links[0].score)} = ${low}, ${formatNumber(i.locale, links[links.length - 1].score)} = ${high})`,
    '',
    ...links.map((l) => `  ${formatNumber(i.locale, l.score)}: ${l.url}`),
    '',
    m.clickHint,
    expires,
    '',
    m.signature,
    '',
  ].join('\n');
  const cell = (l: { score: number; url: string }) =>
    `<td style="padding:3px"><a href="${esc(l.url)}" style="display:inline-block;min-width:34px;padding:10px 6px;border:1px solid #c7cdd6;border-radius:6px;background:#f5f7fa;color:#1d2733;text-align:center;text-decoration:none;font:600 16px/1 Arial,sans-serif">${formatNumber(i.locale, l.score)}</a></td>`;
  const html = `<!doctype html><html lang="${i.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(subject)}</title></head>
<body style="margin:0;padding:16px;background:#ffffff;color:#1d2733;font:15px/1.5 Arial,'PingFang SC','Microsoft YaHei',sans-serif">
<p>${esc(m.greeting(i.customerName))}</p>
<p>${esc(intro)}</p>${i.reminder ? `\n<p>${esc(m.reminderHint)}</p>` : ''}
<p style="font-weight:600">${esc(m.question[i.type])}</p>
<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse"><tr>${links.map(cell).join('')}</tr></table>
<p style="font-size:13px;color:#5b6675">${formatNumber(i.locale, links[0].score)} = ${esc(low)} · ${formatNumber(i.locale, links[links.length - 1].score)} = ${esc(high)}</p>
<p style="font-size:13px;color:#5b6675">${esc(m.clickHint)} ${esc(expires)}</p>
<p>${esc(m.signature)}</p>
</body></html>`;
  return { subject, text, html };
}

const PAGE_CSS = `body{margin:0;font:16px/1.5 -apple-system,'Segoe UI',Roboto,Arial,'PingFang SC','Microsoft YaHei',sans-serif;color:#1d2733;background:#f5f7fa}
main{max-width:560px;margin:0 auto;padding:20px 16px}h1{font-size:1.3rem;margin:0 0 12px}
.card{background:#fff;border:1px solid #dde2e8;border-radius:10px;padding:18px}
.scores{display:flex;flex-wrap:wrap;gap:6px;margin:12px 0;border:0;padding:0}
.scores label{flex:1 0 40px;max-width:56px}.scores input{position:absolute;opacity:0}
.scores span{display:block;text-align:center;padding:12px 0;border:1px solid #c7cdd6;border-radius:8px;background:#f5f7fa;font-weight:600}
.scores input:checked+span{background:#1f6feb;border-color:#1f6feb;color:#fff}.scores input:focus-visible+span{outline:2px solid #1f6feb}
.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#5b6675}
textarea{width:100%;box-sizing:border-box;min-height:90px;font:inherit;padding:8px;border:1px solid #c7cdd6;border-radius:8px}
button{margin-top:12px;width:100%;padding:12px;font:inherit;font-weight:600;color:#fff;background:#1f6feb;border:0;border-radius:8px}
.note{color:#5b6675;font-size:.9rem}.err{color:#b42318;font-weight:600}`;

function page(locale: Locale, title: string, body: string): string {
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title><style>${PAGE_CSS}</style></head><body><main><div class="card">${body}</div></main></body></html>`;
}

export interface FormPageInput {
  locale: Locale;
  type: SurveyType;
  token: string;
  ticketSubject: string;
  selected: number | null;
  error?: string | null;
}

/** The answer form: a score radio group (preselected from the mail's link) and a comment box. GET renders it, only POST records. */
export function renderFormPage(i: FormPageInput): string {
  const m = messages(i.locale);
  const [low, high] = m.scaleEnds[i.type];
  const radios = scoresOf(i.type)
    .map((s) => `<label><input type="radio" name="score" value="${s}"${s === i.selected ? ' checked' : ''} required><span>${formatNumber(i.locale, s)}</span></label>`)
    .join('');
  return page(
    i.locale,
    m.pageTitle,
    `<h1>${esc(m.question[i.type])}</h1><p class="note">${esc(i.ticketSubject)}</p>${i.error ? `<p class="err">${esc(i.error)}</p>` : ''}
<form method="post" action="${esc(i.token)}"><fieldset class="scores">${radios}</fieldset><div class="ends"><span>${esc(low)}</span><span>${esc(high)}</span></div>
<p><label for="comment">${esc(m.commentLabel)}</label></p><textarea id="comment" name="comment" maxlength="5000"></textarea>
<button type="submit">${esc(m.submit)}</button></form>`,
  );
}

/** After an answer: thanks, the score, and (while no comment is stored) a box to add one. */
export function renderThanksPage(i: { locale: Locale; token: string; score: number; commentOpen: boolean; commentSaved?: boolean }): string {
  const m = messages(i.locale);
  const commentForm = i.commentOpen
    ? `<form method="post" action="${esc(i.token)}"><p><label for="comment">${esc(m.addComment)}</label></p><textarea id="comment" name="comment" maxlength="5000" required></textarea><button type="submit">${esc(m.submit)}</button></form>`
    : '';
  return page(
    i.locale,
    m.thanks,
    `<h1>${esc(m.thanks)}</h1><p>${esc(m.yourScore(formatNumber(i.locale, i.score)))}</p>${i.commentSaved ? `<p class="note">${esc(m.commentSaved)}</p>` : ''}${commentForm}`,
  );
}

export type ProblemKind = 'forged' | 'expired' | 'reused' | 'rate_limited';

export function renderProblemPage(locale: Locale, kind: ProblemKind): string {
  const m = messages(locale);
  const title = { forged: m.forged, expired: m.expired, reused: m.reused, rate_limited: m.rateLimited }[kind];
  return page(locale, title, `<h1>${esc(title)}</h1>${kind === 'forged' ? `<p class="note">${esc(m.forgedHint)}</p>` : ''}`);
}
