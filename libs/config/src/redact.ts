/** A connection URL fit for a log line: any password in it replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a single URL (e.g. a comma-separated list): hide anything between ':' and '@'.
    return url.replace(/(\/\/[^:/@,]+:)[^@,]+@/g, '$1***@');
  }
}
