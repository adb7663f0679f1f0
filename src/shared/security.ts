/**
 * The Content-Security-Policy of the renderer's pages, sent as a header by the desktop app's
 * `app://` protocol and by the headless server in web mode. A header, because `frame-ancestors`
 * is ignored in a meta tag. No eval, no inline script, no remote anything.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // React and ECharts set inline styles; styles cannot run code.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
