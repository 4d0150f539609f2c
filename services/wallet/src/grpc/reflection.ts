import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";

/**
 * Registers gRPC server reflection (grpc.reflection.v1 and v1alpha ServerReflection) on `server`,
 * answering from `descriptorSetBase64`: the FileDescriptorSet `buf build` makes from proto/, which
 * holds every file with its imports (google/protobuf/*) and the vendored grpc.health.v1 and
 * grpc.reflection protos. Clients such as grpcurl and buf curl then list, describe and call every
 * service without local .proto files.
 *
 * The descriptors go to @grpc/reflection as the encoded FileDescriptorProtos it reads from a
 * package definition, byte for byte as buf built them: going through @grpc/proto-loader instead
 * would re-encode them and lose imported files.
 */
export function addReflectionService(server: grpc.Server, descriptorSetBase64: string): void {
  const set = fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSetBase64, "base64"));
  const fileDescriptorProtos = set.file.map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file)));
  // @grpc/reflection only reads `fileDescriptorProtos` from the definitions it is given.
  const definition = { format: "", type: {}, fileDescriptorProtos } as unknown as PackageDefinition[string];
  new ReflectionService({ descriptors: definition }).addToServer(server);
}
