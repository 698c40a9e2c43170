// Which terminal runs the Codex CLI, and how it is told to run a command. Pure.

export interface TerminalChoice {
  program: string;
  /** Arguments that come before the command. */
  prefix: string[];
}

/** In the original's order of preference. */
export const TERMINALS: readonly TerminalChoice[] = [
  { program: "x-terminal-emulator", prefix: ["-e"] },
  { program: "gnome-terminal", prefix: ["--"] },
  { program: "kgx", prefix: ["--"] },
  { program: "konsole", prefix: ["-e"] },
  { program: "xfce4-terminal", prefix: ["-x"] },
  { program: "xterm", prefix: ["-e"] },
];

/** Quotes for `sh -c`. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\/.:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}
