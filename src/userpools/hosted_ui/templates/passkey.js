(function () {
  "use strict";
  var form = document.getElementById("passkey-form");
  var failed = document.getElementById("passkey-failed");
  var options = JSON.parse(document.getElementById("passkey-options").textContent);
  var create = form.dataset.mode === "create";
  document.getElementById("passkey-button").addEventListener("click", async function () {
    failed.hidden = true;
    try {
      var credential = create
        ? await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)})
        : await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
      form.elements.credential.value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch (error) {
      failed.hidden = false;
    }
  });
})();
