// Minimal typings for libsecret (gir1.2-secret-1): no @girs package installs from this registry.
declare module "gi://Secret?version=1" {
  import type Gio from "gi://Gio";
  namespace Secret {
    enum SchemaFlags { NONE = 0, DONT_MATCH_NAME = 2 }
    enum SchemaAttributeType { STRING = 0, INTEGER = 1, BOOLEAN = 2 }
    class Schema {
      static new(name: string, flags: SchemaFlags, attributes: Record<string, SchemaAttributeType>): Schema;
    }
    const COLLECTION_DEFAULT: string;
    function password_store(schema: Schema, attributes: Record<string, string>, collection: string | null, label: string,
      password: string, cancellable: Gio.Cancellable | null, callback: (source: unknown, result: Gio.AsyncResult) => void): void;
    function password_store_finish(result: Gio.AsyncResult): boolean;
    function password_lookup(schema: Schema, attributes: Record<string, string>, cancellable: Gio.Cancellable | null,
      callback: (source: unknown, result: Gio.AsyncResult) => void): void;
    function password_lookup_finish(result: Gio.AsyncResult): string | null;
    function password_clear(schema: Schema, attributes: Record<string, string>, cancellable: Gio.Cancellable | null,
      callback: (source: unknown, result: Gio.AsyncResult) => void): void;
    function password_clear_finish(result: Gio.AsyncResult): boolean;
  }
  export default Secret;
}
