import { toBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { declaredSymbols, withoutLeadingDot } from "./descriptorSymbols.js";

/**
 * Lookups a reflection server answers from. Every file lookup returns the file itself first, then
 * all of its transitive imports, serialized: clients cannot build a schema from a file whose imports
 * (google/protobuf/timestamp.proto, ...) they never received.
 */
export interface DescriptorIndex {
  /** Fully-qualified names of every service in the index, sorted. */
  readonly services: readonly string[];
  fileByName(filename: string): Uint8Array[] | undefined;
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined;
  fileContainingExtension(extendee: string, number: number): Uint8Array[] | undefined;
  /** Extension numbers declared for a message type; undefined when the type is unknown. */
  extensionNumbersOf(messageType: string): number[] | undefined;
}

/**
 * Indexes descriptor files by name and by every symbol they declare. The first file with a given
 * name wins. Throws when a file imports one that is not in the list, so an incomplete descriptor set
 * fails at start instead of confusing clients later.
 */
export function createDescriptorIndex(files: readonly FileDescriptorProto[]): DescriptorIndex {
  const byName = new Map<string, FileDescriptorProto>();
  for (const file of files) if (!byName.has(file.name)) byName.set(file.name, file);

  const encoded = new Map<string, Uint8Array>();
  const fileBySymbol = new Map<string, string>();
  const messageTypes = new Set<string>();
  const extensions = new Map<string, Map<number, string>>();
  const services: string[] = [];
  for (const file of byName.values()) {
    for (const dependency of file.dependency) {
      if (!byName.has(dependency)) throw new Error(`descriptor ${file.name} imports missing ${dependency}`);
    }
    // Strip unknown fields: `buf build` images carry buf-specific extras clients do not need.
    encoded.set(file.name, toBinary(FileDescriptorProtoSchema, file, { writeUnknownFields: false }));
    for (const symbol of declaredSymbols(file)) {
      if (!fileBySymbol.has(symbol.name)) fileBySymbol.set(symbol.name, file.name);
      if (symbol.kind === "service") services.push(symbol.name);
      if (symbol.kind === "message") messageTypes.add(symbol.name);
      if (symbol.kind === "extension") {
        const numbers = extensions.get(symbol.extendee) ?? new Map<number, string>();
        numbers.set(symbol.number, file.name);
        extensions.set(symbol.extendee, numbers);
      }
    }
  }
  services.sort();

  const withImports = (filename: string | undefined): Uint8Array[] | undefined => {
    if (filename === undefined || !byName.has(filename)) return undefined;
    const order = [filename];
    for (let i = 0; i < order.length; i++) {
      for (const dependency of byName.get(order[i])!.dependency) {
        if (!order.includes(dependency)) order.push(dependency);
      }
    }
    return order.map((name) => encoded.get(name)!);
  };

  return {
    services,
    fileByName: (filename) => withImports(filename),
    fileContainingSymbol: (symbol) => withImports(fileBySymbol.get(withoutLeadingDot(symbol))),
    fileContainingExtension: (extendee, number) =>
      withImports(extensions.get(withoutLeadingDot(extendee))?.get(number)),
    extensionNumbersOf: (messageType) => {
      const name = withoutLeadingDot(messageType);
      if (!messageTypes.has(name)) return undefined;
      return [...(extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
    },
  };
}
