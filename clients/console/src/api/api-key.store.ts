// The API key lives in sessionStorage only: it is gone when the tab closes and
// is never written where another site or a later session could read it.
const KEY = 'aos.apiKey';

export function readApiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeApiKey(apiKey: string): void {
  sessionStorage.setItem(KEY, apiKey);
}

export function clearApiKey(): void {
  sessionStorage.removeItem(KEY);
}
