(function () {
  "use strict";
  var form = document.getElementById("passkey-form");
  var failed = document.getElementById("passkey-failed");
  var options = JSON.parse(document.getElementById("passkey-options").textContent);
  document.getElementById("passkey-button").addEventListener("click", async function () {
    failed.hidden = true;
    try {
      var credential = await navigator.credentials.get(
        {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
      form.elements.credential.value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch (error) {
      failed.hidden = false;
    }
  });
})();
