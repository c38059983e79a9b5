namespace Strongroom.Pki;
