# Analyst Alerts installer for Windows (NSIS 3), built on Linux by
# scripts/build-windows-installer.sh with Debian's makensis:
#
#   makensis -DAPP_EXE=... -DVERSION=1.2.3 -DSCHEME=keboola-analyst \
#            -DOUTFILE=.../analyst-alerts-1.2.3-windows-amd64-setup.exe project.nsi
#
# Per user, no administrator rights: the app goes to
# %LOCALAPPDATA%\Programs\Analyst Alerts, the sign-in link scheme and the
# "Apps & features" entry to HKCU. We do not use the Wails template
# (wails_tools.nsh): it needs the wails CLI to render it, writes its
# uninstall entry to HKLM even in a per-user install, and bundles the
# WebView2 bootstrapper, which Windows 10 and 11 no longer need (the app's
# Wails runtime offers the download itself when WebView2 is missing).
# desktop/internal/wininstaller reads this script back out of the built
# installer and checks the registry lines.
Unicode true
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef APP_EXE
  !error "APP_EXE (the built analyst-alerts.exe) is required"
!endif
!ifndef VERSION
  !error "VERSION (x.y.z, from wails.json) is required"
!endif
!ifndef SCHEME
  !error "SCHEME (the sign-in link scheme) is required"
!endif
!ifndef OUTFILE
  !error "OUTFILE is required"
!endif

!define PRODUCT "Analyst Alerts"
!define COMPANY "Keboola"
!define EXE "analyst-alerts.exe"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\AnalystAlerts"
!define SCHEME_KEY "Software\Classes\${SCHEME}"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
# A reinstall or an upgrade goes where the last one went.
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
ShowInstDetails show

VIProductVersion "${VERSION}.0"
VIFileVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "CompanyName" "${COMPANY}"
VIAddVersionKey "FileDescription" "${PRODUCT} Installer"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "Copyright ${COMPANY}"

!include "MUI2.nsh"
!define MUI_ICON "..\icon.ico"
!define MUI_UNICON "..\icon.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Install"
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  # A running app holds its .exe open: NSIS then offers Retry after the
  # user quits it from the tray.
  File "/oname=${EXE}" "${APP_EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\${EXE}"

  # The sign-in link: the browser starts the app with the link as its
  # one argument (a second start hands it to the running app).
  DeleteRegKey HKCU "${SCHEME_KEY}"
  WriteRegStr HKCU "${SCHEME_KEY}" "" "URL:${PRODUCT} sign-in link"
  WriteRegStr HKCU "${SCHEME_KEY}" "URL Protocol" ""
  WriteRegStr HKCU "${SCHEME_KEY}\DefaultIcon" "" "$\"$INSTDIR\${EXE}$\",0"
  WriteRegStr HKCU "${SCHEME_KEY}\shell\open\command" "" "$\"$INSTDIR\${EXE}$\" $\"%1$\""

  # "Apps & features" lists per-user programs from HKCU.
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${COMPANY}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$\"$INSTDIR\${EXE}$\""
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" "$\"$INSTDIR\uninstall.exe$\""
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" "$\"$INSTDIR\uninstall.exe$\" /S"
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  DeleteRegKey HKCU "${SCHEME_KEY}"
  DeleteRegKey HKCU "${UNINST_KEY}"
  # WebView2's cache for the app (Wails keeps it in %APPDATA%\<exe name>).
  # The settings in %APPDATA%\<app id> stay, as on the other platforms.
  RMDir /r "$APPDATA\${EXE}"
SectionEnd
