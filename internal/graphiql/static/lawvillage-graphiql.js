// lawvillage GraphiQL page: starts GraphiQL (from the embedded UMD builds)
// against the configured endpoints and puts the user's token into the
// Authorization header. It loads nothing from any other host.
(function () {
  'use strict';

  var STORAGE_KEY = 'lawvillage.graphiql.token';
  var root = document.getElementById('graphiql');
  var form = document.getElementById('lv-token-form');
  var input = document.getElementById('lv-token-input');
  var clearButton = document.getElementById('lv-token-clear');
  var status = document.getElementById('lv-token-status');

  // normalizeToken trims a pasted token and drops a leading "Bearer ".
  function normalizeToken(raw) {
    return String(raw || '').trim().replace(/^bearer\s+/i, '').trim();
  }

  function loadToken() {
    try {
      return normalizeToken(window.localStorage.getItem(STORAGE_KEY));
    } catch (e) {
      return '';
    }
  }

  function saveToken(token) {
    try {
      if (token) {
        window.localStorage.setItem(STORAGE_KEY, token);
      } else {
        window.localStorage.removeItem(STORAGE_KEY);
      }
    } catch (e) {
      // Storage may be disabled (private mode); the token then lasts for this page only.
    }
  }

  // tokenFromHash reads #token=... (also among other hash parameters) and
  // removes it from the address bar so it is not kept in the history.
  function tokenFromHash() {
    var hash = window.location.hash.replace(/^#/, '');
    if (!hash) {
      return '';
    }
    var params = new URLSearchParams(hash);
    var token = normalizeToken(params.get('token'));
    if (!params.has('token')) {
      return '';
    }
    params.delete('token');
    var rest = params.toString();
    try {
      window.history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? '#' + rest : ''));
    } catch (e) {
      // Ignore: only cosmetic.
    }
    return token;
  }

  // wsURL turns a path such as "/graphql" into ws(s)://<current host>/graphql;
  // an absolute ws(s) URL is kept as is.
  function wsURL(endpoint) {
    if (!endpoint) {
      return '';
    }
    if (/^wss?:\/\//i.test(endpoint)) {
      return endpoint;
    }
    var u = new URL(endpoint, window.location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  function headersFor(token) {
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  function showStatus(token) {
    status.textContent = token ? '已设置令牌 / token set' : '未设置令牌 / no token';
    status.className = 'lv-status ' + (token ? 'lv-status-ok' : 'lv-status-missing');
  }

  var hashToken = tokenFromHash();
  if (hashToken) {
    saveToken(hashToken);
  }
  var token = hashToken || loadToken();
  showStatus(token);

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    saveToken(normalizeToken(input.value));
    input.value = '';
    // Reload so that GraphiQL starts with the new Authorization header.
    window.location.reload();
  });
  clearButton.addEventListener('click', function () {
    saveToken('');
    input.value = '';
    window.location.reload();
  });

  var endpoint = new URL(root.dataset.endpoint || '/graphql', window.location.href).href;
  var subscriptionUrl = wsURL(root.dataset.wsEndpoint || '');

  // The saved token is a default header of every request, in every tab; what
  // the headers editor says wins over it.
  var tokenHeaders = headersFor(token);
  // The headers of the operation being run: the WebSocket connection sends
  // them as its connection_init payload (HTTP requests send them as headers).
  var currentHeaders = tokenHeaders;

  var fetcherOptions = { url: endpoint, headers: tokenHeaders };
  if (subscriptionUrl) {
    fetcherOptions.subscriptionUrl = subscriptionUrl;
    if (window.graphqlWs && window.graphqlWs.createClient) {
      fetcherOptions.wsClient = window.graphqlWs.createClient({
        url: subscriptionUrl,
        lazy: true,
        connectionParams: function () {
          return currentHeaders;
        }
      });
    }
  }
  var baseFetcher = window.GraphiQL.createFetcher(fetcherOptions);
  function fetcher(params, opts) {
    currentHeaders = Object.assign({}, tokenHeaders, opts && opts.headers && typeof opts.headers === 'object' ? opts.headers : {});
    return baseFetcher(params, opts);
  }

  var defaultQuery = [
    '# lawvillage GraphQL',
    '#',
    '# 令牌在上方填写，见下方 Headers 的 Authorization。',
    '# Paste your token above; see Authorization in Headers.',
    '#',
    '# Ctrl-Enter 运行 / run, Ctrl-Space 补全 / autocomplete.',
    '',
    '{',
    '  __typename',
    '}',
    ''
  ].join('\n');

  var props = {
    fetcher: fetcher,
    defaultQuery: defaultQuery,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'headers'
  };
  if (token) {
    props.headers = JSON.stringify(headersFor(token), null, 2);
  }

  root.textContent = '';
  window.ReactDOM.createRoot(root).render(window.React.createElement(window.GraphiQL, props));
})();
