import { SurveyType } from './survey-types';

/**
 * What the customer reads (mail and page), in English and Simplified Chinese. Plain TypeScript
 * so a missing key is a type error, not a blank in a customer's inbox.
 */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Messages {
  subject: (ticketSubject: string) => string;
  reminderSubject: (ticketSubject: string) => string;
  greeting: (name: string | null) => string;
  intro: (p: { number: string; subject: string; agent: string | null; date: string }) => string;
  question: Record<SurveyType, string>;
  scaleEnds: Record<SurveyType, [string, string]>;
  clickHint: string;
  reminderHint: string;
  expires: (date: string) => string;
  pageTitle: string;
  submit: string;
  commentLabel: string;
  thanks: string;
  yourScore: (score: string) => string;
  addComment: string;
  commentSaved: string;
  forged: string;
  forgedHint: string;
  expired: string;
  reused: string;
  rateLimited: string;
  chooseScore: string;
  signature: string;
}

const en: Messages = {
  subject: (s) => `How did we do? Re: ${s}`,
  reminderSubject: (s) => `Reminder: how did we do? Re: ${s}`,
  greeting: (n) => (n ? `Hi ${n},` : 'Hello,'),
  intro: ({ number, subject, agent, date }) => `Your request #${number} “${subject}” was solved on ${date}${agent ? ` by ${agent}` : ''}.`,
  question: {
    csat: 'How satisfied are you with the support you received?',
    nps: 'How likely are you to recommend us to a friend or colleague?',
    ces: 'How much effort did it take to get your issue resolved?',
  },
  scaleEnds: { csat: ['Very dissatisfied', 'Very satisfied'], nps: ['Not at all likely', 'Extremely likely'], ces: ['Very little effort', 'A great deal of effort'] },
  clickHint: 'Choose a score to answer; you can add a comment on the next page.',
  reminderHint: 'We have not heard from you yet. It takes one click.',
  expires: (d) => `This link expires on ${d}.`,
  pageTitle: 'Your feedback',
  submit: 'Send',
  commentLabel: 'Anything you would like to add? (optional)',
  thanks: 'Thank you for your feedback!',
  yourScore: (s) => `Your answer: ${s}`,
  addComment: 'Add a comment',
  commentSaved: 'Your comment has been saved.',
  forged: 'This survey link is not valid.',
  forgedHint: 'Please open the link from your email exactly as it was sent.',
  expired: 'This survey has expired.',
  reused: 'This survey has already been answered.',
  rateLimited: 'Too many attempts. Please try again in a minute.',
  chooseScore: 'Please choose a score.',
  signature: 'The support team',
};

const zhCN: Messages = {
  subject: (s) => `您对本次服务满意吗？回复：${s}`,
  reminderSubject: (s) => `提醒：您对本次服务满意吗？回复：${s}`,
  greeting: (n) => (n ? `${n}，您好：` : '您好：'),
  intro: ({ number, subject, agent, date }) => `您的请求 #${number}“${subject}”已于${date}${agent ? `由${agent}` : ''}解决。`,
  question: {
    csat: '您对获得的支持满意吗？',
    nps: '您向朋友或同事推荐我们的可能性有多大？',
    ces: '解决您的问题花费了您多少精力？',
  },
  scaleEnds: { csat: ['非常不满意', '非常满意'], nps: ['完全不可能', '极有可能'], ces: ['非常省力', '非常费力'] },
  clickHint: '点击一个分数即可作答，下一页可补充留言。',
  reminderHint: '我们还没有收到您的反馈，只需点击一下。',
  expires: (d) => `此链接将于${d}失效。`,
  pageTitle: '您的反馈',
  submit: '提交',
  commentLabel: '还有什么想告诉我们的吗？（选填）',
  thanks: '感谢您的反馈！',
  yourScore: (s) => `您的评分：${s}`,
  addComment: '补充留言',
  commentSaved: '您的留言已保存。',
  forged: '此调查链接无效。',
  forgedHint: '请直接打开邮件中的链接。',
  expired: '此调查已过期。',
  reused: '此调查已作答。',
  rateLimited: '尝试次数过多，请一分钟后再试。',
  chooseScore: '请选择一个分数。',
  signature: '客服团队',
};

const MESSAGES: Record<Locale, Messages> = { en, 'zh-CN': zhCN };

export function messages(locale: Locale): Messages {
  return MESSAGES[locale];
}

/** A customer's or browser's language tag → a supported locale, or null. Any Chinese → zh-CN (the only Chinese we have). */
export function normalizeLocale(raw: string | null | undefined): Locale | null {
  const tag = raw?.trim().toLowerCase().replace(/_/g, '-');
  if (!tag) return null;
  if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
  if (tag === 'en' || tag.startsWith('en-')) return 'en';
  return null;
}

export function resolveLocale(customerLocale: string | null | undefined, fallback: string | null | undefined): Locale {
  return normalizeLocale(customerLocale) ?? normalizeLocale(fallback) ?? 'en';
}

/** First supported language of an Accept-Language header (pages for tokens we cannot read). */
export function localeFromAcceptLanguage(header: string | undefined): Locale | null {
  for (const part of (header ?? '').split(',')) {
    const l = normalizeLocale(part.split(';')[0]);
    if (l) return l;
  }
  return null;
}

// Intl formatters are costly to build (tens of µs each) and a mail formats a dozen values: one per locale.
const dateFormats = new Map<Locale, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

export function formatDate(locale: Locale, d: Date): string {
  let f = dateFormats.get(locale);
  if (!f) dateFormats.set(locale, (f = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' })));
  return f.format(d);
}

export function formatNumber(locale: Locale, n: number | string, grouping = true): string {
  const key = `${locale}|${grouping}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(locale, { useGrouping: grouping })));
  return f.format(Number(n));
}
