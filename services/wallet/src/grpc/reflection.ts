import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import { createDescriptorIndex } from "./descriptorIndex.js";
import { healthV1File, reflectionV1AlphaFile, reflectionV1File } from "./protocolDescriptors.js";
import { reflectionServices } from "./reflectionServices.js";
import { serverReflectionInfo } from "./serverReflectionInfo.js";

/**
 * Registers gRPC server reflection (grpc.reflection.v1 and v1alpha ServerReflection) on `server`,
 * answering from `descriptorSetBase64` (a FileDescriptorSet with every import, as `buf build` makes it)
 * plus the descriptors of grpc.health.v1 and of reflection itself. Clients such as grpcurl and
 * buf curl then list, describe and call every service without local .proto files.
 *
 * Throws when the descriptor set cannot be decoded or a file's import is missing from it.
 */
export function addReflectionService(server: grpc.Server, descriptorSetBase64: string): void {
  const set = fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSetBase64, "base64"));
  const index = createDescriptorIndex([...set.file, healthV1File, reflectionV1File, reflectionV1AlphaFile]);
  for (const { definition, responseType } of reflectionServices) {
    server.addService(definition, { ServerReflectionInfo: serverReflectionInfo(index, responseType) });
  }
}
