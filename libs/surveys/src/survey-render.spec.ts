import { localeFromAcceptLanguage, normalizeLocale, resolveLocale } from './survey-i18n';
import { renderFormPage, renderMail, renderProblemPage } from './survey-render';

const base = {
  type: 'csat' as const,
  reminder: false,
  customerName: 'Ana <b>',
  ticketNumber: '12345',
  ticketSubject: 'Parcel never arrived',
  agentName: 'Sam',
  solvedAt: new Date('2026-03-04T10:00:00Z'),
  expiresAt: new Date('2026-03-18T10:00:00Z'),
  pageUrl: 'https://help.example.com/s/TOKEN',
};

describe('survey rendering', () => {
  it('mails one link per score, subject from the ticket, agent named, HTML escaped', () => {
    const mail = renderMail({ ...base, locale: 'en' });
    expect(mail.subject).toBe('How did we do? Re: Parcel never arrived');
    for (let s = 1; s <= 5; s++) {
      expect(mail.text).toContain(`https://help.example.com/s/TOKEN?score=${s}`);
      expect(mail.html).toContain(`href="https://help.example.com/s/TOKEN?score=${s}"`);
    }
    expect(mail.text).toContain('by Sam');
    expect(mail.text).toContain('#12345');
    expect(mail.text).toContain('March 4, 2026');
    expect(mail.html).toContain('Ana &lt;b&gt;');
    expect(mail.html).not.toContain('Ana <b>');
  });

  it('speaks Simplified Chinese with Chinese dates', () => {
    const mail = renderMail({ ...base, locale: 'zh-CN', type: 'nps' });
    expect(mail.subject).toContain('您对本次服务满意吗');
    expect(mail.text).toContain('2026年3月4日');
    expect(mail.text).toContain('?score=0');
    expect(mail.text).toContain('?score=10');
  });

  it('the form preselects a score but has no script', () => {
    const html = renderFormPage({ locale: 'en', type: 'csat', token: 'T.K', ticketSubject: 'x', selected: 4 });
    expect(html).toContain('value="4" checked');
    expect(html).not.toContain('value="3" checked');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('method="post"');
  });

  it('problem pages say what is wrong', () => {
    expect(renderProblemPage('en', 'expired')).toContain('expired');
    expect(renderProblemPage('zh-CN', 'reused')).toContain('已作答');
  });
});

describe('survey locales', () => {
  it('maps customer tags to a supported locale, else the fallback, else English', () => {
    expect(['zh', 'zh-CN', 'zh_cn', 'zh-Hans-CN', 'zh-TW'].map(normalizeLocale)).toEqual(['zh-CN', 'zh-CN', 'zh-CN', 'zh-CN', 'zh-CN']);
    expect(['en', 'en-GB', 'EN-us'].map(normalizeLocale)).toEqual(['en', 'en', 'en']);
    expect(normalizeLocale('fr-FR')).toBeNull();
    expect(resolveLocale('fr-FR', 'zh-CN')).toBe('zh-CN');
    expect(resolveLocale(null, null)).toBe('en');
    expect(localeFromAcceptLanguage('fr-CH, zh-CN;q=0.9, en;q=0.8')).toBe('zh-CN');
  });
});
