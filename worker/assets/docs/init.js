// Starts Swagger UI on the element that names the OpenAPI document (kept out of the page so it needs no inline script).
const root = document.getElementById("api-reference");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  // No calls to the public validator service: the page works offline.
  validatorUrl: null,
  persistAuthorization: true,
});
