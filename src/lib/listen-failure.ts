/** Start-up failed for a reason its one-line message says, with what to do. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

export interface ListenTarget {
  host: string;
  port: number;
  /** How the port is chosen, for the advice: `PORT or --port`. */
  portSetting: string;
  /** How the address is chosen: `HOST or --host`. */
  hostSetting: string;
}

/** Why a server could not listen, in one line that says what to change. */
export function listenFailure(error: unknown, target: ListenTarget): StartupError {
  const { host, port, portSetting, hostSetting } = target;
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(
        `Port ${port} on ${host} is in use by another process: stop that process, or choose another port (${portSetting})`,
      );
    case 'EACCES':
      return new StartupError(
        `Not allowed to listen on port ${port} (ports below 1024 need privileges): choose another port (${portSetting})`,
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(
        `${host} is not an address of this machine: choose one of its addresses, or 0.0.0.0 for all of them (${hostSetting})`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`The host name ${host} does not resolve: choose an address of this machine (${hostSetting})`);
    default:
      return new StartupError(`Cannot listen on ${host}:${port}: ${(error as Error).message} (${portSetting}, ${hostSetting})`);
  }
}
