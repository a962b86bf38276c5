/** What is running now (innermost last); one `beforeExit` listener while any is. */
const running: string[] = [];

function onBeforeExit(): void {
  // Node empties its event loop and exits 0 when the promise a program awaits can no longer settle (an unref'd
  // worker that died or never answers, a terminate() that never returns): a run that stops without a word.
  process.stderr.write(
    `error: the process was about to end while ${running.at(-1)} was still waiting (nothing left that could answer: a worker or I/O that died silently); exit code 1\n`,
  );
  process.exitCode = 1;
  running.length = 0;
  process.off('beforeExit', onBeforeExit);
}

/**
 * Until the returned release function is called, a process whose event loop empties exits with code 1 and
 * one line naming `what`, instead of Node's silent exit 0 with the work unfinished. Nests: the innermost
 * unreleased `what` is named.
 */
export function guardAgainstSilentExit(what: string): () => void {
  if (running.length === 0) process.on('beforeExit', onBeforeExit);
  running.push(what);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const i = running.lastIndexOf(what);
    if (i >= 0) running.splice(i, 1);
    if (running.length === 0) process.off('beforeExit', onBeforeExit);
  };
}
