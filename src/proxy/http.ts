// Thin helpers over Soup.ServerMessage.
import GLib from "gi://GLib";
import Soup from "gi://Soup?version=3.0";
import { openAiError } from "./errors.js";

const encoder = new TextEncoder();

export function sendJson(msg: Soup.ServerMessage, status: number, body: unknown, headers: Record<string, string> = {}): void {
  msg.set_status(status, null);
  const responseHeaders = msg.get_response_headers();
  for (const [name, value] of Object.entries(headers)) responseHeaders.replace(name, value);
  msg.set_response("application/json", Soup.MemoryUse.COPY, encoder.encode(JSON.stringify(body)));
}

export function sendError(msg: Soup.ServerMessage, status: number, message: string, code: string | null = null,
  headers: Record<string, string> = {}): void {
  sendJson(msg, status, openAiError(status, message, code), headers);
}

/** The request body, already read by libsoup before the handler runs. */
export function requestBody(msg: Soup.ServerMessage): Uint8Array {
  const bytes: GLib.Bytes = msg.get_request_body().flatten();
  // toArray(), not get_data(): in gjs 1.74 get_data() keeps the whole buffer alive for good.
  return bytes.toArray();
}
