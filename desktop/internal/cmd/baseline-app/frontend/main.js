document.getElementById("greet").addEventListener("click", () => {
  window.go.main.App.Greet(document.getElementById("name").value).then((r) => {
    document.getElementById("result").innerText = r;
  });
});
