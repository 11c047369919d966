import { stemmer } from 'stemmer';

/**
 * English function words and chat filler. Shared by the router and by the test
 * that proves which test tasks share no content word with their agent, so
 * both agree on what a "content word" is.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are aren as at be because been before being below ' +
    'between both but by can cannot could couldn d did didn do does doesn doing don down during each else ever ' +
    'few for from further had hadn has hasn have haven having he her here hers herself him himself his how i ' +
    'if in into is isn it its itself just ll let m ma me might more most must mustn my myself no nor not now ' +
    'o of off on once only or other our ours ourselves out over own re s same shall shan she should shouldn ' +
    'so some such t than that the their theirs them themselves then there these they this those through to ' +
    'too under until up ve very was wasn we were weren what when where which while who whom why will with ' +
    'won would wouldn y you your yours yourself yourselves also us yet still already ' +
    'hi hey hello please pls plz thanks thank thx ok okay asap anyone someone somebody something anything ' +
    'im ive id dont cant wont isnt doesnt didnt lol like really'
  ).split(' '),
);

/** Lower-cased words of a text, apostrophes dropped so "can't" stays one word. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['\u2019]/g, '')
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Neither a function word nor a number. */
export function isContentWord(word: string): boolean {
  return !STOP_WORDS.has(word) && !/^\d+$/.test(word);
}

export function contentWords(text: string): string[] {
  return words(text).filter(isContentWord);
}

export { stemmer };
