import { Select } from '@mantine/core';
import type { usePageTokens } from './page-token-pager';

/** The "State" picker above a list; changing it starts the list again from its first page. */
export function StateFilter({
  states,
  value,
  onChange,
  pager,
}: {
  states: string[];
  value: string | null;
  onChange: (state: string | null) => void;
  pager: ReturnType<typeof usePageTokens>;
}) {
  return (
    <Select
      label="State"
      placeholder="Every state"
      data={states}
      value={value}
      onChange={(v) => {
        onChange(v);
        pager.reset();
      }}
      clearable
      w={220}
    />
  );
}
