import type {
  DescriptorProto,
  EnumDescriptorProto,
  FieldDescriptorProto,
  FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";

/** One fully-qualified name a file declares, as reflection clients ask for it. */
export type DeclaredSymbol =
  | { kind: "service" | "message" | "member"; name: string }
  | { kind: "extension"; name: string; extendee: string; number: number };

/**
 * Every name a file declares: services and their methods, messages (nested too), enums and their
 * values, fields, oneofs and extensions. Enum values live in the enum's enclosing scope, as in protoc.
 */
export function* declaredSymbols(file: FileDescriptorProto): Generator<DeclaredSymbol> {
  const scope = file.package;
  for (const service of file.service) {
    const name = qualify(scope, service.name);
    yield { kind: "service", name };
    for (const method of service.method) yield { kind: "member", name: qualify(name, method.name) };
  }
  for (const message of file.messageType) yield* messageSymbols(scope, message);
  for (const enumType of file.enumType) yield* enumSymbols(scope, enumType);
  for (const extension of file.extension) yield extensionSymbol(scope, extension);
}

function* messageSymbols(scope: string, message: DescriptorProto): Generator<DeclaredSymbol> {
  const name = qualify(scope, message.name);
  yield { kind: "message", name };
  for (const field of message.field) yield { kind: "member", name: qualify(name, field.name) };
  for (const oneof of message.oneofDecl) yield { kind: "member", name: qualify(name, oneof.name) };
  for (const nested of message.nestedType) yield* messageSymbols(name, nested);
  for (const enumType of message.enumType) yield* enumSymbols(name, enumType);
  for (const extension of message.extension) yield extensionSymbol(name, extension);
}

function* enumSymbols(scope: string, enumType: EnumDescriptorProto): Generator<DeclaredSymbol> {
  yield { kind: "member", name: qualify(scope, enumType.name) };
  for (const value of enumType.value) yield { kind: "member", name: qualify(scope, value.name) };
}

function extensionSymbol(scope: string, extension: FieldDescriptorProto): DeclaredSymbol {
  return {
    kind: "extension",
    name: qualify(scope, extension.name),
    extendee: withoutLeadingDot(extension.extendee),
    number: extension.number,
  };
}

/** Descriptors write type references as ".pkg.Type"; reflection requests use "pkg.Type". */
export function withoutLeadingDot(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}

function qualify(scope: string, name: string): string {
  return scope ? `${scope}.${name}` : name;
}
