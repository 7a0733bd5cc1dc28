// Starts Swagger UI on /schema. A served file rather than an inline script, so the page's CSP needs no
// 'unsafe-inline'; the OpenAPI document's URL comes from this script tag's data-url attribute.
"use strict";
(function () {
  var openapiUrl = document.currentScript.dataset.url;
  window.ui = SwaggerUIBundle({
    url: openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // the default would fetch a badge from validator.swagger.io: no request may leave this origin
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
