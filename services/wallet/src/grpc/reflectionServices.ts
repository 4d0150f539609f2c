import {
  createFileRegistry,
  type DescMessage,
  type DescService,
  fromBinary,
  type Message,
  toBinary,
} from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { reflectionV1AlphaFile, reflectionV1File } from "./protocolDescriptors.js";

// The codec is made from the very descriptors the server hands out, so both always agree.
const registry = createFileRegistry(reflectionV1File, () => undefined);
const registryAlpha = createFileRegistry(reflectionV1AlphaFile, () => undefined);

function codec(desc: DescMessage) {
  return {
    serialize: (value: Message) => Buffer.from(toBinary(desc, value)),
    deserialize: (bytes: Buffer) => fromBinary(desc, bytes),
  };
}

/** A grpc-js service definition whose messages are @bufbuild/protobuf messages of `service`. */
function serviceDefinition(service: DescService): grpc.ServiceDefinition {
  const entries = service.methods.map((method) => {
    const input = codec(method.input);
    const output = codec(method.output);
    const definition: grpc.MethodDefinition<Message, Message> = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: input.serialize,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize,
      responseDeserialize: output.deserialize,
    };
    return [method.name, definition] as const;
  });
  return Object.fromEntries(entries);
}

function service(fileRegistry: typeof registry, typeName: string): DescService {
  const found = fileRegistry.getService(typeName);
  if (!found) throw new Error(`${typeName} missing from its descriptor`);
  return found;
}

const v1 = service(registry, "grpc.reflection.v1.ServerReflection");
const v1alpha = service(registryAlpha, "grpc.reflection.v1alpha.ServerReflection");

/** Both protocol versions of ServerReflection: grpcurl and buf curl speak v1, older clients v1alpha. */
export const reflectionServices: { definition: grpc.ServiceDefinition; responseType: DescMessage }[] = [
  { definition: serviceDefinition(v1), responseType: v1.methods[0].output },
  { definition: serviceDefinition(v1alpha), responseType: v1alpha.methods[0].output },
];
