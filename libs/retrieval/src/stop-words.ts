/**
 * English function words, dropped from what is indexed and from queries: they
 * occur in nearly every chunk, so BM25 would give them almost no weight while
 * their postings (the longest ones) would still be walked on every query.
 * Question words ("how", "what", "why") are here because people phrase
 * searches as questions; negations are here too, which BM25 could not use
 * anyway (it scores the presence of a word, not its sense).
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  [
    'a an the and or but nor so yet if then else than as at by for from in into of off on onto out over',
    'to up down under upon with within without about above below across after against along among around',
    'before behind beneath beside between beyond during except inside near past since through throughout',
    'toward towards until via is am are was were be been being have has had having do does did doing done',
    'will would shall should can could may might must ought i me my mine myself we us our ours ourselves',
    'you your yours yourself yourselves he him his himself she her hers herself it its itself they them',
    'their theirs themselves this that these those there here who whom whose which what when where why how',
    'all any both each either neither few more most other others another some such no not only own same',
    'too very just also again once ever even still already s t d ll m re ve don doesn didn isn aren wasn',
    'weren hasn haven hadn won wouldn shouldn couldn mustn cannot dont doesnt didnt isnt arent wasnt werent',
    'hasnt havent hadnt wont wouldnt shouldnt couldnt cant im ive id youre youve theyre thats whats hows',
    'lets want wants need needs please thanks',
  ]
    .join(' ')
    .split(' '),
);
