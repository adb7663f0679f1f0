/**
 * The one redactor for secrets in text: every URL printed, logged or returned (doctor, sync
 * status, errors in API answers, logs, crash reports) goes through `redactUrl`, every free text
 * through `scrubSecrets`. It knows no provider by name: providers put keys in the userinfo, in a
 * path segment (`/v2/<key>`, `/<key>`) or in a query value (`?apikey=`, `&dkey=`), so those
 * parts are masked wherever they look like a credential.
 */

const MASK = '***';

/** Query parameter names that carry credentials whatever their value looks like. */
const SECRET_PARAM = /key|token|secret|pass|auth|sig|credential|session|access|private|bearer/i;

/**
 * A string that reads as a credential rather than a word: a long token of URL-safe characters
 * that mixes in digits (random keys, UUIDs), a long hex string, or any very long opaque token.
 * 0x-prefixed hex (addresses, hashes) is public chain data and stays. Over-masking a path such as
 * `/repos/o/uniswap-v3-periphery` in a log is the accepted price of never printing a key.
 */
export function looksLikeKey(s: string): boolean {
  if (s.length < 12 || /^0x[0-9a-f]+$/i.test(s)) return false;
  if (!/^[A-Za-z0-9._~+=-]+$/.test(s)) return false;
  if (/^[0-9a-f]{16,}$/i.test(s)) return true;
  if (s.length >= 24) return true;
  return /\d/.test(s) && /[A-Za-z]/.test(s) && !/^\d{4}-\d{2}-\d{2}/.test(s) && !/^v?\d+(\.\d+)+$/.test(s);
}

function maskPath(pathname: string): string {
  return pathname
    .split('/')
    .map((seg) => {
      let decoded = seg;
      try {
        decoded = decodeURIComponent(seg);
      } catch {
        /* keep it raw */
      }
      return looksLikeKey(decoded) ? MASK : seg;
    })
    .join('/');
}

function maskQuery(search: string): string {
  if (search.length <= 1) return search;
  return `?${search
    .slice(1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return looksLikeKey(pair) ? MASK : pair;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let decoded = value;
      try {
        decoded = decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {
        /* keep it raw */
      }
      return value !== '' && (SECRET_PARAM.test(name) || looksLikeKey(decoded)) ? `${name}=${MASK}` : pair;
    })
    .join('&')}`;
}

/**
 * A URL safe to print: the password (and a user name that is itself a key) masked, and every
 * path segment, query value and fragment that looks like a credential masked. Scheme, host,
 * port and the rest stay, so the analyst still recognises the endpoint.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(url.trim());
  if (m === null) return '[unparsable url]';
  const [, scheme = '', authority = '', pathname = '', search = '', hash = ''] = m;
  const at = authority.lastIndexOf('@');
  let userinfo = '';
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  if (at >= 0) {
    const info = authority.slice(0, at);
    const colon = info.indexOf(':');
    const user = colon >= 0 ? info.slice(0, colon) : info;
    const userShown = user === '' ? '' : colon < 0 || looksLikeKey(user) ? MASK : user;
    userinfo = `${userShown}${colon >= 0 ? `:${MASK}` : ''}@`;
  }
  const fragment = hash.length > 1 && looksLikeKey(hash.slice(1)) ? `#${MASK}` : hash;
  return `${scheme}${userinfo}${hostPort}${maskPath(pathname)}${maskQuery(search)}${fragment}`;
}

/** `text` with each of the given URLs replaced by its redacted form (for errors that quote a configured URL verbatim). */
export function redactUrlsIn(text: string, urls: readonly (string | undefined)[]): string {
  return urls.reduce<string>((m, u) => (u ? m.split(u).join(redactUrl(u) ?? '') : m), text);
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Free text with every URL in it redacted, and bearer tokens and well-known token shapes masked. */
export function scrubSecrets(text: string): string {
  return text
    .replace(URL_IN_TEXT, (found) => {
      // Trailing punctuation belongs to the sentence, not the URL.
      const trail = /[),.;:\]}]+$/.exec(found)?.[0] ?? '';
      const url = trail ? found.slice(0, -trail.length) : found;
      const red = redactUrl(url);
      return `${red === '[unparsable url]' ? url.replace(/\/.*$/, `/${MASK}`) : red}${trail}`;
    })
    .replace(/([?&][A-Za-z0-9_.-]*(?:key|token|secret|pass|auth|sig)[A-Za-z0-9_.-]*=)[^&\s"']+/gi, `$1${MASK}`)
    .replace(/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/-]+=*/g, `$1$2${MASK}`)
    .replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|hf_[A-Za-z0-9]{20,})\b/g, MASK);
}
