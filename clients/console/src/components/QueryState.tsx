import { Alert } from '@mantine/core';
import { LoadingIndicator } from './LoadingIndicator';
import type { UseQueryResult } from '@tanstack/react-query';
import { errorWords } from '../api/error-words';

/** Loading and error states of a query, said in words; nothing once data is there. */
export function QueryState({ query, what }: { query: UseQueryResult<unknown>; what: string }) {
  if (query.isPending && query.fetchStatus !== 'idle') return <LoadingIndicator label={`Loading ${what}`} />;
  if (query.isError)
    return (
      <Alert color="red" role="alert" title={`Could not load ${what}`}>
        {errorWords(query.error)}
      </Alert>
    );
  return null;
}
