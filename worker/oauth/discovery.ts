import { ALL_PERMISSIONS } from "../../schema/permissions";
import { ACCESS_TOKEN_ALG } from "../auth/keys";
import { AUTH_METHODS } from "./client-auth";
import { SUPPORTED_GRANT_TYPES } from "./token";

/**
 * The provider's metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2) at /.well-known/openid-configuration.
 * This issuer grants client credentials only. Discovery requires the authorization-endpoint fields of every
 * provider, so they are there, and the authorization endpoint answers unsupported_response_type: no person signs
 * in through it.
 */
export function providerMetadata(issuer: string) {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: SUPPORTED_GRANT_TYPES,
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    scopes_supported: ALL_PERMISSIONS,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [ACCESS_TOKEN_ALG],
    claims_supported: ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "tid", "sv"],
    service_documentation: `${issuer}/docs`,
  };
}
