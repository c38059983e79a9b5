namespace Strongroom.Crypto;
