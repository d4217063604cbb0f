// Mounts GraphiQL on #graphiql. Settings arrive in data attributes, not in
// an inline script, so the page runs under a CSP without 'unsafe-inline'
// scripts. Loaded with defer after React, ReactDOM and GraphiQL.
(function () {
  'use strict';

  var container = document.getElementById('graphiql');
  var settings = container.dataset;

  // Sends cookies to the same origin only, so browser sessions work without
  // leaking them to other origins.
  function sameOriginFetch(input, init) {
    return window.fetch(input, Object.assign({}, init, { credentials: 'same-origin' }));
  }

  var fetcher = GraphiQL.createFetcher({
    url: settings.endpoint,
    fetch: sameOriginFetch,
  });

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: settings.defaultQuery,
    })
  );
})();
