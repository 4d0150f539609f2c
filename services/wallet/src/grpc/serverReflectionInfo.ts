import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import type { DescriptorIndex } from "./descriptorIndex.js";

/** A decoded grpc.reflection.v1(alpha).ServerReflectionRequest. */
export interface ReflectionRequest extends Message {
  host: string;
  messageRequest:
    | {
        case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices";
        value: string;
      }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** Answers one reflection request from the index; unknown names become a NOT_FOUND error_response. */
export function answerReflectionRequest(index: DescriptorIndex, request: ReflectionRequest): Answer {
  const { messageRequest } = request;
  switch (messageRequest.case) {
    case "fileByFilename":
      return files(index.fileByName(messageRequest.value), `file ${messageRequest.value}`);
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(messageRequest.value), `symbol ${messageRequest.value}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = messageRequest.value;
      return files(
        index.fileContainingExtension(containingType, extensionNumber),
        `extension ${extensionNumber} of ${containingType}`,
      );
    }
    case "allExtensionNumbersOfType": {
      const baseTypeName = messageRequest.value;
      const extensionNumber = index.extensionNumbersOf(baseTypeName);
      if (extensionNumber === undefined) return notFound(`message type ${baseTypeName}`);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName, extensionNumber } };
    }
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
    default:
      return error(grpc.status.INVALID_ARGUMENT, "empty reflection request");
  }
}

function files(found: Uint8Array[] | undefined, what: string): Answer {
  return found ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: found } } : notFound(what);
}

function notFound(what: string): Answer {
  return error(grpc.status.NOT_FOUND, `${what} not found`);
}

function error(errorCode: grpc.status, errorMessage: string): Answer {
  return { case: "errorResponse", value: { errorCode, errorMessage } };
}

/**
 * The ServerReflectionInfo stream: one response (of `responseType`, the protocol version's
 * ServerReflectionResponse) per request, in order, until the client ends its side.
 */
export function serverReflectionInfo(
  index: DescriptorIndex,
  responseType: DescMessage,
): grpc.handleBidiStreamingCall<ReflectionRequest, Message> {
  return (call) => {
    call.on("data", (request: ReflectionRequest) => {
      const messageResponse = answerReflectionRequest(index, request);
      call.write(
        create(responseType, { validHost: request.host, originalRequest: request, messageResponse }),
      );
    });
    call.on("end", () => call.end());
  };
}
