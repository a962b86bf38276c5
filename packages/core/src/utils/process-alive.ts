/**
 * Whether process `pid` exists (signal 0 probes without signalling). Temp files carry their writer's pid, so
 * a later run can tell a killed writer's leftovers from a save in progress.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
