/**
 * A graceful shutdown that cannot finish (a database that no longer answers, a job that never
 * returns) must not leave the process running forever: orchestrators and the `npm start` launcher
 * wait for it. After `ms` from the first SIGTERM/SIGINT the process exits with code 1, saying so.
 * The timer is unref'd, so a shutdown that completes is never held up by it.
 */
export function exitIfShutdownHangs(name: string, ms: number): void {
  let armed = false;
  const arm = (signal: NodeJS.Signals) => {
    if (armed) return;
    armed = true;
    setTimeout(() => {
      process.stderr.write(`${name}: graceful shutdown after ${signal} did not finish in ${ms} ms; exiting\n`);
      process.exit(1);
    }, ms).unref();
  };
  // once: Nest's shutdown hook ends by re-sending the signal to itself, which must then kill.
  process.once('SIGTERM', arm);
  process.once('SIGINT', arm);
}
