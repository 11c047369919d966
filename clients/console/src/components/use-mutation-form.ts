import { useState } from 'react';
import { errorWords } from '../api/error-words';

/** Busy and error state of a form that sends one change; `run` returns whether it succeeded. */
export function useMutationForm() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(change: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await change();
      return true;
    } catch (e) {
      setError(errorWords(e));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { error, setError, busy, run };
}
