// Opens a consumer portal link: the single-use token is in the URL's
// fragment (#token=…), which browsers never send to a server. Read it,
// drop it from the address bar and history, and post it to the server,
// which exchanges it for a session.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.hash.slice(1));
  var token = params.get("token");
  var note = document.getElementById("portal-nojs");
  history.replaceState(null, "", window.location.pathname);
  if (!token) {
    note.textContent = "This address carries no portal link: open the link you were given.";
    return;
  }
  note.textContent = "Opening…";
  document.getElementById("portal-token").value = token;
  document.getElementById("portal-form").submit();
})();
