// Build-time constants. __APP_VERSION__ is injected by esbuild from package.json.
declare const __APP_VERSION__: string;

export const APP_VERSION: string = __APP_VERSION__;
export const APP_ID = "com.codexlauncher";
export const APP_NAME = "Codex Launcher";
