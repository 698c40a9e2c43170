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
    // What the start-up probe asks (is there an unlocked default collection?) without prompting.
    enum ServiceFlags { NONE = 0, OPEN_SESSION = 2, LOAD_COLLECTIONS = 4 }
    enum CollectionFlags { NONE = 0, LOAD_ITEMS = 2 }
    class Collection {
      static for_alias(service: Service | null, alias: string, flags: CollectionFlags, cancellable: Gio.Cancellable | null,
        callback: (source: unknown, result: Gio.AsyncResult) => void): void;
      static for_alias_finish(result: Gio.AsyncResult): Collection | null;
      get_locked(): boolean;
      get_label(): string;
    }
    class Service {
      static get(flags: ServiceFlags, cancellable: Gio.Cancellable | null, callback: (source: unknown, result: Gio.AsyncResult) => void): void;
      static get_finish(result: Gio.AsyncResult): Service;
      /** Drops the process-wide cached service (its D-Bus session goes with it). */
      static disconnect(): void;
    }
  }
  export default Secret;
}
