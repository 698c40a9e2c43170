// Where "Sign in with Google" finds its OAuth client: the environment, else a real install of the Gemini
// CLI on PATH (npm's bin symlink followed into the package, the client read from its code). Built here
// as npm lays it out, with a client made up for the spec.
import GLib from "gi://GLib";
import { googleClient, googleClientOrNull } from "../../src/launcher/google-client.js";
import { CLIENT_ID_ENV, CLIENT_SECRET_ENV } from "../../src/lib/google-oauth.js";
import { makeTempDir, removeTree } from "../helpers/repo.js";

const CLIENT = { id: "424242-spec.apps.googleusercontent.com", secret: "made-up-for-this-spec" };
const DECLARATION = `const OAUTH_CLIENT_ID = '${CLIENT.id}';\nconst OAUTH_CLIENT_SECRET = '${CLIENT.secret}';\n`;

function write(path: string, text: string): void {
  GLib.mkdir_with_parents(GLib.path_get_dirname(path), 0o755);
  GLib.file_set_contents(path, text);
}

describe("the Google OAuth client", () => {
  const saved: Record<string, string | null> = {};
  let root: string;

  beforeEach(() => {
    for (const name of [CLIENT_ID_ENV, CLIENT_SECRET_ENV, "PATH"]) saved[name] = GLib.getenv(name);
    GLib.unsetenv(CLIENT_ID_ENV);
    GLib.unsetenv(CLIENT_SECRET_ENV);
    root = makeTempDir("gemini-cli-install");
    GLib.setenv("PATH", `${root}/bin:/usr/bin:/bin`, true);
  });

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) value === null ? GLib.unsetenv(name) : GLib.setenv(name, value, true);
    removeTree(root);
  });

  /** npm's bin entry: an executable file in the package, linked from bin/. */
  const link = (target: string) => {
    GLib.mkdir_with_parents(`${root}/bin`, 0o755);
    const absolute = target.startsWith("/") ? target : `${root}/bin/${target}`;
    GLib.spawn_command_line_sync(`chmod +x ${GLib.shell_quote(absolute)}`);
    GLib.spawn_command_line_sync(`ln -s ${GLib.shell_quote(target)} ${GLib.shell_quote(`${root}/bin/gemini`)}`);
  };

  it("is read from @google/gemini-cli-core inside an npm install of the Gemini CLI, through its bin symlink", () => {
    const pkg = `${root}/lib/node_modules/@google/gemini-cli`;
    write(`${pkg}/dist/index.js`, "#!/usr/bin/env node\nimport './src/gemini.js';\n");
    write(`${pkg}/node_modules/@google/gemini-cli-core/dist/src/code_assist/oauth2.js`, `// oauth2\n${DECLARATION}`);
    link("../lib/node_modules/@google/gemini-cli/dist/index.js");
    expect(googleClient()).toEqual(CLIENT);
  });

  it("is read from the Gemini CLI's single-file bundle, and from a hoisted gemini-cli-core", () => {
    const pkg = `${root}/lib/node_modules/@google/gemini-cli`;
    write(`${pkg}/bundle/gemini.js`, `// bundle\nvar x = 1;\n${DECLARATION}`);
    link(`${pkg}/bundle/gemini.js`);
    expect(googleClient()).toEqual(CLIENT);
    GLib.unlink(`${root}/bin/gemini`);
    GLib.unlink(`${pkg}/bundle/gemini.js`);
    write(`${pkg}/dist/index.js`, "// no client here\n");
    write(`${root}/lib/node_modules/@google/gemini-cli-core/dist/src/code_assist/oauth2.js`, DECLARATION);
    link(`${pkg}/dist/index.js`);
    expect(googleClient()).toEqual(CLIENT);
  });

  it("comes from the environment first, and without either the sign-in says what to do", () => {
    expect(googleClientOrNull()).toBeNull();
    expect(() => googleClient()).toThrowError(/install the Gemini CLI \(npm install -g @google\/gemini-cli\) or set CODEX_LAUNCHER_GOOGLE_CLIENT_ID/);
    GLib.setenv(CLIENT_ID_ENV, "1-env.apps.googleusercontent.com", true);
    GLib.setenv(CLIENT_SECRET_ENV, "env-secret", true);
    expect(googleClient()).toEqual({ id: "1-env.apps.googleusercontent.com", secret: "env-secret" });
  });
});
