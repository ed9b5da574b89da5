/** Runs `work` every `ms` without holding the process open; a run's failure is `work`'s own to handle. */
export function every(ms: number, work: () => Promise<void>): NodeJS.Timeout {
  const timer = setInterval(() => void work(), ms);
  timer.unref();
  return timer;
}
