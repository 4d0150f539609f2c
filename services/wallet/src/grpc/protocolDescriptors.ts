import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type DescriptorProtoSchema,
  type FieldDescriptorProtoSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from "@bufbuild/protobuf/wkt";

// Descriptors of grpc/health/v1/health.proto and grpc/reflection/{v1,v1alpha}/reflection.proto, written
// out as protoc would emit them. protobufjs-made descriptors (what @grpc/proto-loader offers) carry
// camelCase field names, relative type names and misnamed map entries, which strict clients reject.

type FieldInit = MessageInitShape<typeof FieldDescriptorProtoSchema>;
type MessageInit = MessageInitShape<typeof DescriptorProtoSchema>;
const scalars = { string: Type.STRING, int32: Type.INT32, bytes: Type.BYTES };

interface FieldShape {
  repeated?: boolean;
  oneof?: number;
  enum?: boolean;
}

function field(
  name: string,
  number: number,
  type: keyof typeof scalars | `.${string}`,
  shape: FieldShape = {},
) {
  const init: FieldInit = {
    name,
    number,
    jsonName: name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()),
    label: shape.repeated ? Label.REPEATED : Label.OPTIONAL,
    oneofIndex: shape.oneof,
  };
  if (type.startsWith(".")) return { ...init, type: shape.enum ? Type.ENUM : Type.MESSAGE, typeName: type };
  return { ...init, type: scalars[type as keyof typeof scalars] };
}

interface MessageShape {
  oneofDecl?: { name: string }[];
  nestedType?: MessageInit[];
  enumType?: { name: string; value: { name: string; number: number }[] }[];
  options?: { mapEntry: boolean };
}

function message(name: string, fields: FieldInit[], shape: MessageShape = {}): MessageInit {
  return { name, field: fields, ...shape };
}

function reflectionFile(version: "v1" | "v1alpha"): FileDescriptorProto {
  const pkg = `grpc.reflection.${version}`;
  const t = (name: string) => `.${pkg}.${name}` as const;
  return create(FileDescriptorProtoSchema, {
    name: `grpc/reflection/${version}/reflection.proto`,
    package: pkg,
    syntax: "proto3",
    messageType: [
      message(
        "ServerReflectionRequest",
        [
          field("host", 1, "string"),
          field("file_by_filename", 3, "string", { oneof: 0 }),
          field("file_containing_symbol", 4, "string", { oneof: 0 }),
          field("file_containing_extension", 5, t("ExtensionRequest"), { oneof: 0 }),
          field("all_extension_numbers_of_type", 6, "string", { oneof: 0 }),
          field("list_services", 7, "string", { oneof: 0 }),
        ],
        { oneofDecl: [{ name: "message_request" }] },
      ),
      message("ExtensionRequest", [
        field("containing_type", 1, "string"),
        field("extension_number", 2, "int32"),
      ]),
      message(
        "ServerReflectionResponse",
        [
          field("valid_host", 1, "string"),
          field("original_request", 2, t("ServerReflectionRequest")),
          field("file_descriptor_response", 4, t("FileDescriptorResponse"), { oneof: 0 }),
          field("all_extension_numbers_response", 5, t("ExtensionNumberResponse"), { oneof: 0 }),
          field("list_services_response", 6, t("ListServiceResponse"), { oneof: 0 }),
          field("error_response", 7, t("ErrorResponse"), { oneof: 0 }),
        ],
        { oneofDecl: [{ name: "message_response" }] },
      ),
      message("FileDescriptorResponse", [field("file_descriptor_proto", 1, "bytes", { repeated: true })]),
      message("ExtensionNumberResponse", [
        field("base_type_name", 1, "string"),
        field("extension_number", 2, "int32", { repeated: true }),
      ]),
      message("ListServiceResponse", [field("service", 1, t("ServiceResponse"), { repeated: true })]),
      message("ServiceResponse", [field("name", 1, "string")]),
      message("ErrorResponse", [field("error_code", 1, "int32"), field("error_message", 2, "string")]),
    ],
    service: [
      {
        name: "ServerReflection",
        method: [
          {
            name: "ServerReflectionInfo",
            inputType: t("ServerReflectionRequest"),
            outputType: t("ServerReflectionResponse"),
            clientStreaming: true,
            serverStreaming: true,
          },
        ],
      },
    ],
  });
}

function healthFile(): FileDescriptorProto {
  const t = (name: string) => `.grpc.health.v1.${name}` as const;
  const method = (name: string, input: string, output: string, serverStreaming = false) => ({
    name,
    inputType: t(input),
    outputType: t(output),
    serverStreaming,
  });
  const statusValues = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];
  return create(FileDescriptorProtoSchema, {
    name: "grpc/health/v1/health.proto",
    package: "grpc.health.v1",
    syntax: "proto3",
    messageType: [
      message("HealthListRequest", []),
      message(
        "HealthListResponse",
        [field("statuses", 1, t("HealthListResponse.StatusesEntry"), { repeated: true })],
        {
          nestedType: [
            message(
              "StatusesEntry",
              [field("key", 1, "string"), field("value", 2, t("HealthCheckResponse"))],
              {
                options: { mapEntry: true },
              },
            ),
          ],
        },
      ),
      message("HealthCheckRequest", [field("service", 1, "string")]),
      message(
        "HealthCheckResponse",
        [field("status", 1, t("HealthCheckResponse.ServingStatus"), { enum: true })],
        {
          enumType: [
            { name: "ServingStatus", value: statusValues.map((name, number) => ({ name, number })) },
          ],
        },
      ),
    ],
    service: [
      {
        name: "Health",
        method: [
          method("Check", "HealthCheckRequest", "HealthCheckResponse"),
          method("Watch", "HealthCheckRequest", "HealthCheckResponse", true),
          method("List", "HealthListRequest", "HealthListResponse"),
        ],
      },
    ],
  });
}

/** Descriptor of grpc/reflection/v1/reflection.proto. */
export const reflectionV1File = reflectionFile("v1");
/** Descriptor of grpc/reflection/v1alpha/reflection.proto (same messages, older package). */
export const reflectionV1AlphaFile = reflectionFile("v1alpha");
/** Descriptor of grpc/health/v1/health.proto, as served by grpc-health-check. */
export const healthV1File = healthFile();
