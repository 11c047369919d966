/**
 * What a model's tokens cost, from AOS_MODEL_PRICES: `model=input/output,…`,
 * each price in the budgets' currency per million tokens, so that one price
 * unit per million tokens is one micro-unit per token (budgets count cost in
 * micro-units). `*` prices every model the list does not name.
 */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

export type ModelPrices = ReadonlyMap<string, ModelPrice>;

const ENTRY = /^([^=\s]+)=(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/;
/** A price beyond this per million tokens is a typo, not a model. */
const MAX_PRICE = 1_000_000;

/** The table and what is wrong with the text, each problem naming its entry. */
export function parseModelPrices(text: string): { prices: Map<string, ModelPrice>; problems: string[] } {
  const prices = new Map<string, ModelPrice>();
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = ENTRY.exec(entry);
    if (!match) {
      problems.push(
        `entry "${entry}" must look like model=input/output, prices per million tokens (e.g. gpt-4o-mini=0.15/0.60)`,
      );
      continue;
    }
    const [, model, input, output] = match;
    const price = { inputPerMillion: Number(input), outputPerMillion: Number(output) };
    if (price.inputPerMillion > MAX_PRICE || price.outputPerMillion > MAX_PRICE)
      problems.push(`entry "${entry}": a price above ${MAX_PRICE} per million tokens`);
    else if (prices.has(model!)) problems.push(`entry "${entry}": model ${model} is priced twice`);
    else prices.set(model!, price);
  }
  return { prices, problems };
}

/**
 * The cost in micro-units of one model call, priced by the first of `models`
 * the table names (the model the server says answered, then the one asked
 * for), else by `*`; undefined when none is priced.
 */
export function costMicrosOf(
  prices: ModelPrices,
  models: readonly string[],
  promptTokens: number,
  completionTokens: number,
): number | undefined {
  const price = models.map((m) => prices.get(m)).find((p) => p !== undefined) ?? prices.get('*');
  if (!price) return undefined;
  // Rounded up, after dropping binary-fraction noise (1000 × 0.15 is 150.00000000000003).
  const cost = promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion;
  return Math.ceil(Math.round(cost * 1e6) / 1e6);
}
